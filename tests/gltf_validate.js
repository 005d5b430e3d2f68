// Validate a glTF/GLB file with the Khronos glTF validator and print its JSON report on stdout.
//
//   node tests/gltf_validate.js FILE.glb
//
// The validator (npm package gltf-validator) is loaded from $KMTALK_GLTF_VALIDATOR_DIR
// (CI: <repo>/.ci/node/node_modules/gltf-validator), else from <repo>/.ci/node/node_modules.
// External resources (.bin, images) are read relative to the file. Exit status: 0 when a
// report was printed (whatever it says), 2 on a usage or loading problem.
"use strict";
const fs = require("fs");
const path = require("path");

const file = process.argv[2];
if (!file) {
  console.error("usage: node tests/gltf_validate.js FILE.glb|FILE.gltf");
  process.exit(2);
}
const dir = process.env.KMTALK_GLTF_VALIDATOR_DIR ||
  path.join(__dirname, "..", ".ci", "node", "node_modules", "gltf-validator");
let validator;
try {
  validator = require(path.resolve(dir));
} catch (err) {
  console.error(`cannot load gltf-validator from ${dir}: ${err.message}`);
  process.exit(2);
}

const bytes = new Uint8Array(fs.readFileSync(file));
validator.validateBytes(bytes, {
  uri: path.basename(file),
  maxIssues: 0,
  externalResourceFunction: (uri) => new Promise((resolve, reject) => {
    fs.readFile(path.join(path.dirname(file), decodeURIComponent(uri)), (err, data) => {
      if (err) reject(err.toString()); else resolve(new Uint8Array(data));
    });
  }),
}).then((report) => {
  process.stdout.write(JSON.stringify(report) + "\n");
}).catch((err) => {
  console.error(`validation failed to run: ${err}`);
  process.exit(2);
});
