// Checks Kubernetes objects against the OpenAPI schemas of their kinds: upstream
// Kubernetes (kubernetes-models) and prometheus-operator (@kubernetes-models/
// prometheus-operator), compiled to ajv validators from the published OpenAPI documents.
// They check types, required fields, enums and formats. The upstream schemas allow
// unknown fields, which the API server drops (a typo such as readOnlyRootFileSystem
// would silently lose a setting), so a second pass refuses any field the kind's type
// declarations (the packages' .d.ts files, generated from the same OpenAPI) do not name,
// as `kubectl apply --validate=strict` would.
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

// ---- strict fields: the property names of each interface, from the .d.ts files ----
const ifaceCache = new Map();

function dtsPath(fromFile, spec) {
  const p = spec.startsWith(".") ? path.resolve(path.dirname(fromFile), spec) : path.join(modules, spec);
  return p.replace(/\.js$/, "") + ".d.ts";
}

// {props: Map name -> type text, imports: Map name -> file} for the main interface of a
// .d.ts file, or null when the file declares a plain type (string | number...).
function loadIface(file) {
  if (ifaceCache.has(file)) return ifaceCache.get(file);
  const text = readFileSync(file, "utf8").replace(/\/\*\*[\s\S]*?\*\//g, "");
  const imports = new Map();
  for (const m of text.matchAll(/import \{([^}]*)\} from "([^"]+)";/g))
    for (const name of m[1].split(",").map((x) => x.trim()).filter(Boolean))
      imports.set(name, dtsPath(file, m[2]));
  const m = text.match(/export interface \w+(?: extends [\w, ]+)? \{\n([\s\S]*?)\n\}/);
  let result = null;
  if (m) {
    const props = new Map();
    // one property per line at 4 spaces: "name"?: type;
    for (const pm of m[1].matchAll(/^ {4}"([^"]+)"\??: ([\s\S]*?);$/gm)) props.set(pm[1], pm[2]);
    result = { props, imports, file };
  }
  ifaceCache.set(file, result);
  return result;
}

// Walks value against type text t (in the scope of iface's imports); pushes problems.
function strict(value, t, scope, where, out) {
  if (value === null || typeof value !== "object") return;
  t = t.trim();
  let m;
  if ((m = t.match(/^Array<(.*)>$/s))) {
    if (Array.isArray(value)) value.forEach((v, i) => strict(v, m[1], scope, `${where}[${i}]`, out));
    return;
  }
  if ((m = t.match(/^\{\s*\[key: string\]: (.*?);?\s*\}$/s))) {
    for (const [k, v] of Object.entries(value)) strict(v, m[1], scope, `${where}.${k}`, out);
    return;
  }
  if (!/^I\w+$/.test(t) || !scope.imports.has(t)) return; // primitives, unions, any
  const iface = loadIface(scope.imports.get(t));
  if (iface) checkObject(value, iface, where, out);
}

function checkObject(value, iface, where, out) {
  if (Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    if (!iface.props.has(k)) {
      out.push(`${where}.${k}: unknown field`);
      continue;
    }
    strict(v, iface.props.get(k), iface, `${where}.${k}`, out);
  }
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
  } catch (e) {
    console.log(`${where}: ${e.message}`);
    problems++;
    continue;
  }
  const iface = loadIface(modulePath(doc.apiVersion, doc.kind).replace(/\.js$/, ".d.ts"));
  const unknown = [];
  if (!iface) unknown.push("no type declarations for the strict field check");
  else checkObject(doc, iface, "", unknown);
  for (const u of unknown) console.log(`${where}: ${u.replace(/^\./, "")}`);
  problems += unknown.length;
  if (!unknown.length) checked++;
}
console.log(`validate: ${checked} objects valid, ${problems} problems`);
process.exit(problems ? 1 : 0);
