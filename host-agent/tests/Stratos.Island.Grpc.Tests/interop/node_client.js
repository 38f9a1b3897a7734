// gRPC interop client (@grpc/grpc-js + @grpc/proto-loader) against the island agent's wire layer.
// usage: node node_client.js SOCKET PROTO_ROOT SCENARIO   -> prints one JSON object
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const loader = require('@grpc/proto-loader');

const [socketPath, protoRoot, scenario] = process.argv.slice(2);
const definition = loader.loadSync('stratos/island/agent/v1/agent.proto', { includeDirs: [protoRoot], keepCase: true, enums: String, longs: Number, defaults: false });
const pkg = grpc.loadPackageDefinition(definition).stratos.island.agent.v1;
const target = 'unix:' + path.resolve(socketPath);
const vms = new pkg.VmService(target, grpc.credentials.createInsecure());
const events = new pkg.EventService(target, grpc.credentials.createInsecure());

function done(result, err) {
  if (err) { result.code = grpc.status[err.code]; result.details = err.details; } else { result.code = 'OK'; }
  console.log(JSON.stringify(result));
  vms.close(); events.close();
}

function streamScenario(from, cancelAfter) {
  const result = { sequences: [] };
  const call = events.watchEvents({ from_sequence: from });
  call.on('data', (r) => {
    result.sequences.push(r.event.sequence);
    if (cancelAfter && result.sequences.length === cancelAfter) call.cancel();
  });
  call.on('error', (err) => done(result, err));
  call.on('end', () => { if (!result.code) done(result, null); });
}

switch (scenario) {
  case 'list':
    vms.listVms({}, (err, r) => done(err ? {} : { names: r.vms.map((v) => v.name), criticality: r.vms.map((v) => v.criticality) }, err));
    break;
  case 'notfound':
    vms.startVm({ name: 'dbx' }, (err) => done({}, err));
    break;
  case 'deadline':
    vms.stopVm({ name: 'web', reason: '10000' }, { deadline: Date.now() + 200 }, (err) => done({}, err));
    break;
  case 'stream': streamScenario(10, 0); break;
  case 'stream_error': streamScenario(900, 0); break;
  case 'cancel': streamScenario(0, 3); break;
  default: console.error('unknown scenario ' + scenario); process.exit(2);
}
