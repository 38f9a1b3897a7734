"""gRPC interop client (python3-grpcio) against the island agent's wire layer.

usage: python_client.py SOCKET|tls://HOST:PORT@CA.pem|tcp://HOST:PORT PROTO_ROOT SCENARIO
Prints one JSON object describing what happened; the C# test asserts on it.
"""
import json
import sys
import threading

import grpc

import agent_pb

socket_path, proto_root, scenario = sys.argv[1:4]
pb = agent_pb.load(proto_root)
if socket_path.startswith("tls://"):
    # tls://HOST:PORT@CA.pem: the agent's optional TCP listener, TLS only.
    target, ca = socket_path[len("tls://"):].split("@", 1)
    with open(ca, "rb") as f:
        credentials = grpc.ssl_channel_credentials(root_certificates=f.read())
    channel = grpc.secure_channel(target, credentials, options=(("grpc.ssl_target_name_override", "localhost"),))
elif socket_path.startswith("tcp://"):
    # tcp://HOST:PORT: plaintext TCP (the agent refuses it; used to prove that).
    channel = grpc.insecure_channel(socket_path[len("tcp://"):])
else:
    channel = grpc.insecure_channel("unix:" + socket_path)


def unary(service, method, request, response_type, timeout=None):
    call = channel.unary_unary(
        "/" + agent_pb.SERVICE + service + "/" + method,
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=response_type.FromString)
    return call(request, timeout=timeout)


def stream(request):
    call = channel.unary_stream(
        "/" + agent_pb.SERVICE + "EventService/WatchEvents",
        request_serializer=lambda m: m.SerializeToString(),
        response_deserializer=pb.WatchEventsResponse.FromString)
    return call(request)


result = {}
try:
    if scenario == "list":
        response = unary("VmService", "ListVms", pb.ListVmsRequest(), pb.ListVmsResponse)
        result["names"] = [vm.name for vm in response.vms]
        result["criticality"] = [vm.criticality for vm in response.vms]
    elif scenario == "notfound":
        unary("VmService", "StartVm", pb.StartVmRequest(name="dbx"), pb.StartVmResponse)
    elif scenario == "deadline":
        unary("VmService", "StopVm", pb.StopVmRequest(name="web", reason="10000"), pb.StopVmResponse, timeout=0.2)
    elif scenario == "stream":
        result["sequences"] = [r.event.sequence for r in stream(pb.WatchEventsRequest(from_sequence=10))]
    elif scenario == "stream_error":
        result["sequences"] = []
        for r in stream(pb.WatchEventsRequest(from_sequence=900)):
            result["sequences"].append(r.event.sequence)
    elif scenario == "cancel":
        call = stream(pb.WatchEventsRequest(from_sequence=0))
        received = 0
        for r in call:
            received += 1
            if received == 3:
                call.cancel()
        result["received"] = received
    else:
        raise SystemExit("unknown scenario " + scenario)
    result["code"] = "OK"
except grpc.RpcError as e:
    result["code"] = e.code().name
    result["details"] = e.details()
print(json.dumps(result), flush=True)
