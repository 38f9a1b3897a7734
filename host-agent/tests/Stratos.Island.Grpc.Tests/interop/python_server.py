"""gRPC interop server (python3-grpcio) for the island CLI's client.

usage: python_server.py SOCKET PROTO_ROOT
Serves VmService.ListVms/StartVm/StopVm and EventService.WatchEvents with the same behaviour as the
C# DemoService; prints READY once it listens and runs until stdin closes.
"""
import sys
import time
from concurrent import futures

import grpc

import agent_pb

socket_path, proto_root = sys.argv[1:3]
pb = agent_pb.load(proto_root)
NAMES = ["base", "web"]


def list_vms(request, context):
    return pb.ListVmsResponse(vms=[pb.Vm(id=i + 1, name=n, state=3, criticality=3) for i, n in enumerate(NAMES)])


def start_vm(request, context):
    if request.name not in NAMES:
        context.abort(grpc.StatusCode.NOT_FOUND, "VM '%s' not found; known VMs: %s" % (request.name, ", ".join(NAMES)))
    return pb.StartVmResponse(vm=pb.Vm(name=request.name, state=2))


def stop_vm(request, context):
    deadline = time.monotonic() + int(request.reason) / 1000.0
    while time.monotonic() < deadline:
        if not context.is_active():
            return pb.StopVmResponse()
        time.sleep(0.01)
    return pb.StopVmResponse(vm=pb.Vm(name=request.name, state=7))


def watch_events(request, context):
    count = 1000 if request.from_sequence == 0 else 5
    for i in range(count):
        if request.from_sequence == 900 and i == 2:
            context.abort(grpc.StatusCode.DATA_LOSS, "event log page 3 failed its CRC")
        yield pb.WatchEventsResponse(event=pb.Event(sequence=request.from_sequence + i, type=4, detail="event %d" % i))
        if request.from_sequence == 0:
            time.sleep(0.02)


def unary(fn, req, resp):
    return grpc.unary_unary_rpc_method_handler(fn, request_deserializer=req.FromString, response_serializer=resp.SerializeToString)


server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
server.add_generic_rpc_handlers((
    grpc.method_handlers_generic_handler(agent_pb.SERVICE + "VmService", {
        "ListVms": unary(list_vms, pb.ListVmsRequest, pb.ListVmsResponse),
        "StartVm": unary(start_vm, pb.StartVmRequest, pb.StartVmResponse),
        "StopVm": unary(stop_vm, pb.StopVmRequest, pb.StopVmResponse),
    }),
    grpc.method_handlers_generic_handler(agent_pb.SERVICE + "EventService", {
        "WatchEvents": grpc.unary_stream_rpc_method_handler(
            watch_events, request_deserializer=pb.WatchEventsRequest.FromString,
            response_serializer=pb.WatchEventsResponse.SerializeToString),
    }),
))
server.add_insecure_port("unix:" + socket_path)
server.start()
print("READY", flush=True)
sys.stdin.read()
server.stop(0)
