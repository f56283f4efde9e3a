/**
 * The machine's ceiling for bench/serving: node:http reading each request's body and answering a
 * fixed V2 inference response of the same shape as Cairn's, with no parsing and no model.
 * usage: node plain-server.ts <port>
 */
import { createServer } from 'node:http';

const body = Buffer.from(
  JSON.stringify({
    model_name: 'logistic',
    model_version: '0123456789ab',
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [1], data: ['<=50K'] },
      { name: 'probability', datatype: 'FP64', shape: [1], data: [0.118915157538439] },
    ],
  }),
);
const server = createServer((req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.listen(Number(process.argv[2]), '127.0.0.1', () => process.stdout.write('listening\n'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
