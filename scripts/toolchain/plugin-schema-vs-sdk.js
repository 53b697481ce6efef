#!/usr/bin/env node
// Compares a bridged plugin's schema.json with the TypeScript its npm SDK was generated with:
// tokens present on one side only, and per input property: missing/extra names, list vs
// object (MaxItemsOne flattening) vs map vs scalar, and required-ness, following nested types.
//   node scripts/toolchain/plugin-schema-vs-sdk.js $VSTACK_CACHE/plugins/vault-7.8.0/schema.json \
//     <dir of `npm pack @pulumi/vault@7.8.0`, unpacked>/package [token substrings to detail...]
const fs = require('fs'), path = require('path');
const [schemaFile, pkgDir, ...focus] = process.argv.slice(2);
const schema = JSON.parse(fs.readFileSync(schemaFile, 'utf8'));

function shapeTs(t) {
  t = t.replace(/\s+/g, ' ').trim().replace(/;$/, '');
  t = t.replace(/^pulumi\.(Input|Output)<(.*)>$/, '$2').replace(/ \| undefined$/, '').trim();
  if (/\[\]$/.test(t)) return 'array';
  if (/^\{ ?\[key: string\]/.test(t)) return 'map';
  if (/(inputs|outputs)\./.test(t)) return 'object';
  return 'scalar:' + t.replace(/pulumi\.Input<|>/g, '');
}
// parse "export interface Name {" blocks -> {Name: {prop: {req, shape}}}; handles nested namespaces.
function parseInterfaces(text) {
  const out = {}; const lines = text.split('\n'); const ns = [];
  let cur = null, depth = 0, buf = '';
  for (const line of lines) {
    const m1 = line.match(/^\s*export (declare )?namespace (\w+) \{/);
    if (!cur && m1) { ns.push(m1[2]); continue; }
    const m = line.match(/^\s*(?:export )?interface (\w+) \{/);
    if (!cur && m) { cur = [...ns, m[1]].join('.'); out[cur] = {}; depth = 1; buf = ''; continue; }
    if (!cur) { if (/^\s*\}\s*$/.test(line) && ns.length) ns.pop(); continue; }
    if (/^\s*(\/\*\*|\*)/.test(line)) continue;
    for (const ch of line) { if (ch === '{') depth++; if (ch === '}') depth--; }
    if (depth <= 0) { cur = null; continue; }
    buf += line + '\n';
    if (depth === 1 && /;\s*$/.test(line)) {
      const mm = buf.match(/^\s*(readonly )?(\w+)(\??): ([\s\S]*)$/);
      if (mm) out[cur][mm[2]] = { req: mm[3] !== '?', shape: shapeTs(mm[4]) };
      buf = '';
    }
  }
  return out;
}
function shapeSchema(p) {
  if (p.$ref) return p.$ref.startsWith('pulumi.json') ? 'scalar:any' : 'object';
  if (p.type === 'array') return 'array';
  if (p.type === 'object') return 'map';
  return 'scalar:' + ({ integer: 'number', number: 'number', boolean: 'boolean', string: 'string' }[p.type] || p.type);
}
// npm resources / functions
const tsRes = {}; const walk = d => fs.readdirSync(d, { withFileTypes: true }).forEach(e => {
  const f = path.join(d, e.name);
  if (e.isDirectory()) { if (e.name !== 'node_modules' && e.name !== 'types') walk(f); return; }
  if (!e.name.endsWith('.js')) return;
  const js = fs.readFileSync(f, 'utf8');
  const dts = fs.existsSync(f.replace(/\.js$/, '.d.ts')) ? fs.readFileSync(f.replace(/\.js$/, '.d.ts'), 'utf8') : '';
  let m = js.match(/__pulumiType = '([^']+)'/);
  if (m) { const ifs = parseInterfaces(dts); const k = Object.keys(ifs).find(n => /Args$/.test(n) && !/State$/.test(n));
    tsRes[m[1]] = { kind: 'resource', args: k ? ifs[k] : {}, file: f }; }
  m = js.match(/invoke\("([^"]+)"/);
  if (m && !/getProvider|terraformConfig/.test(m[1])) { const ifs = parseInterfaces(dts); const k = Object.keys(ifs).find(n => /Args$/.test(n));
    tsRes[m[1]] = { kind: 'function', args: k ? ifs[k] : {}, file: f }; }
});
walk(pkgDir);
const inputsIfs = parseInterfaces(fs.readFileSync(path.join(pkgDir, 'types/input.d.ts'), 'utf8'));
let missing = [], extra = [], propDiffs = 0;
const report = [];
function cmpProps(label, tsProps, schProps, required, typeRefs) {
  const out = [];
  for (const [n, p] of Object.entries(tsProps)) {
    const s = schProps[n];
    if (!s) { out.push(`  ${label}.${n}: missing in plugin`); continue; }
    const ss = shapeSchema(s);
    if (ss.split(':')[0] !== p.shape.split(':')[0] || (p.shape.startsWith('scalar:') && !['any', p.shape.slice(7)].includes(ss.slice(7)) && !p.shape.includes('|') && !p.shape.includes('Asset')))
      out.push(`  ${label}.${n}: shape npm=${p.shape} plugin=${ss}`);
    if (p.req !== required.includes(n)) out.push(`  ${label}.${n}: required npm=${p.req} plugin=${required.includes(n)}`);
    const ref = s.$ref || (s.items && s.items.$ref);
    if (ref && typeRefs) typeRefs.push(ref);
  }
  for (const n of Object.keys(schProps)) if (!(n in tsProps)) out.push(`  ${label}.${n}: only in plugin`);
  return out;
}
function tsTypeFor(ref) { // "#/types/vault:kv/SecretV2CustomMetadata:SecretV2CustomMetadata"
  const tok = ref.replace('#/types/', ''); const [, mod, name] = tok.match(/^[^:]+:([^/:]+)(?:\/[^:]+)?:(\w+)$/) || [];
  const cap = name[0].toUpperCase() + name.slice(1), pre = mod && mod !== "index" ? mod + "." : "";
  return inputsIfs[pre + name] || inputsIfs[name] || inputsIfs[pre + cap] || inputsIfs[cap];
}
for (const [tok, r] of Object.entries(tsRes).sort()) {
  const sch = !tok.includes(':') ? schema.provider : r.kind === 'resource' ? schema.resources[tok] : schema.functions[tok];
  if (!sch) { missing.push(tok); continue; }
  const props = r.kind === 'resource' ? (sch.inputProperties || {}) : ((sch.inputs || {}).properties || {});
  const req = r.kind === 'resource' ? (sch.requiredInputs || []) : ((sch.inputs || {}).required || []);
  const refs = [];
  const d = cmpProps(tok, r.args, props, req, refs);
  const seen = new Set();
  while (refs.length) { const ref = refs.pop(); if (seen.has(ref)) continue; seen.add(ref);
    const st = schema.types[ref.replace('#/types/', '')]; const tt = tsTypeFor(ref);
    if (!st || !tt) { d.push(`  type ${ref}: ${!st ? 'not in plugin schema' : 'no npm interface found'}`); continue; }
    d.push(...cmpProps('  ' + ref.split(':').pop(), tt, st.properties || {}, st.required || [], refs)); }
  propDiffs += d.length;
  if (d.length && (!focus.length || focus.some(f => tok.includes(f)))) report.push(tok + `: ${d.length} differences`, ...d);
}
const npmToks = new Set(Object.keys(tsRes));
npmToks.delete(schema.name); for (const t of [...Object.keys(schema.resources || {}), ...Object.keys(schema.functions || {})]) if (!npmToks.has(t)) extra.push(t);
console.log(`npm SDK tokens: ${npmToks.size}; plugin resources+functions: ${Object.keys(schema.resources||{}).length + Object.keys(schema.functions||{}).length}`);
console.log(`missing in plugin (${missing.length}): ${missing.join(' ')}`);
console.log(`only in plugin (${extra.length}): ${extra.join(' ')}`);
console.log(`property differences (all tokens): ${propDiffs}`);
console.log(report.join('\n'));
