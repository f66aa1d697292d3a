// Checks Kubernetes objects against the OpenAPI schemas of their kinds: upstream
// Kubernetes (kubernetes-models) and prometheus-operator (@kubernetes-models/
// prometheus-operator), compiled to ajv validators from the published OpenAPI documents.
// They check types, required fields, enums and formats; they do not reject unknown
// fields (the upstream schemas allow them), which the real API server's strict field
// validation does (tests/deploy/cluster.e2e.sh applies deploy/ to a real cluster).
//
//   node validate.mjs NODE_MODULES < objects.json     ([{"file":..., "doc": {...}}, ...])
//
// Prints one line per problem and exits 1 when there is any; a kind without a schema
// is a problem too, so a new kind cannot slip through unchecked.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const modules = process.argv[2];
const items = JSON.parse(readFileSync(0, "utf8"));

function modulePath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "monitoring.coreos.com")
    return path.join(modules, "@kubernetes-models/prometheus-operator", group, version, kind + ".js");
  const dir = group === "" ? version : path.join(group, version);
  return path.join(modules, "kubernetes-models", dir, kind + ".js");
}

let problems = 0, checked = 0;
for (const { file, doc } of items) {
  const where = `${file}: ${doc?.kind}/${doc?.metadata?.name}`;
  if (!doc || typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") {
    console.log(`${file}: a document without apiVersion and kind`);
    problems++;
    continue;
  }
  let mod;
  try {
    mod = await import(pathToFileURL(modulePath(doc.apiVersion, doc.kind)).href);
  } catch (e) {
    console.log(`${where}: no schema for ${doc.apiVersion} ${doc.kind}`);
    problems++;
    continue;
  }
  try {
    new mod[doc.kind](doc).validate();
    checked++;
  } catch (e) {
    console.log(`${where}: ${e.message}`);
    problems++;
  }
}
console.log(`validate: ${checked} objects valid, ${problems} problems`);
process.exit(problems ? 1 : 0);
