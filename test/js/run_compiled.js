// Runs a model compiled by `onnx-xai compile` with onnxruntime-node alone (no part of Microsoft.ML.Explainability)
// and compares its 'saliency' output with the maps the library computed.
//
//   node run_compiled.js MODEL.onnx INPUT.npy EXPECTED.npy [TARGETS.npy]
//
// Prints one JSON line: {"shape":[...],"maxAbsDiff":x,"explainedClass":[...],"outputs":[...]}; exits 1 on failure.
'use strict';

const fs = require('node:fs');
const ort = require('onnxruntime-node');

/** Reads a little-endian C-order .npy file holding '<f4' or '<i8' values. */
function readNpy(path) {
  const bytes = fs.readFileSync(path);
  if (bytes[0] !== 0x93 || bytes.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new Error(`${path}: not a .npy file`);
  }
  const major = bytes[6];
  const headerLength = major === 1 ? bytes.readUInt16LE(8) : bytes.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = bytes.toString('latin1', start, start + headerLength);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) {
    throw new Error(`${path}: Fortran order is not supported`);
  }
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLength;
  const data = bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + bytes.length);
  if (descr === '<f4') {
    return { type: 'float32', shape, data: new Float32Array(data.slice(0, count * 4)) };
  }
  if (descr === '<i8') {
    return { type: 'int64', shape, data: new BigInt64Array(data.slice(0, count * 8)) };
  }
  throw new Error(`${path}: dtype ${descr} is not supported`);
}

async function main() {
  const [modelPath, inputPath, expectedPath, targetsPath] = process.argv.slice(2);
  if (!modelPath || !inputPath || !expectedPath) {
    throw new Error('usage: node run_compiled.js MODEL.onnx INPUT.npy EXPECTED.npy [TARGETS.npy]');
  }
  const session = await ort.InferenceSession.create(modelPath);
  const input = readNpy(inputPath);
  const expected = readNpy(expectedPath);
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input.data, input.shape) };
  if (targetsPath) {
    const targets = readNpy(targetsPath);
    feeds.targets = new ort.Tensor('int64', targets.data, targets.shape);
  }
  const results = await session.run(feeds);
  const saliency = results.saliency;
  let maxAbsDiff = 0;
  if (saliency.data.length !== expected.data.length) {
    throw new Error(`saliency has ${saliency.data.length} values, expected ${expected.data.length}`);
  }
  for (let i = 0; i < saliency.data.length; i++) {
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(saliency.data[i] - expected.data[i]));
  }
  const explainedClass = Array.from(results.explained_class.data, (v) => Number(v));
  console.log(JSON.stringify({ shape: saliency.dims, maxAbsDiff, explainedClass, outputs: session.outputNames }));
}

main().catch((error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
