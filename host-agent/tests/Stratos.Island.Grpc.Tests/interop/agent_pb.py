"""Generates Python modules for agent.proto with Debian's protoc into a temp dir and imports them."""
import atexit
import os
import shutil
import subprocess
import sys
import tempfile


def load(proto_root):
    out = tempfile.mkdtemp(prefix="stratos-pb-")
    # The generated modules are imported once; the folder goes when the interpreter exits.
    atexit.register(shutil.rmtree, out, True)
    files = ["stratos/island/agent/v1/agent.proto", "stratos/island/common/v1/common.proto"]
    subprocess.run(["protoc", "-I", proto_root, "--python_out", out] + files, check=True)
    sys.path.insert(0, out)
    from stratos.island.agent.v1 import agent_pb2  # noqa: E402
    return agent_pb2


SERVICE = "stratos.island.agent.v1."
