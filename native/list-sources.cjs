// Lists the addon's sources for binding.gyp, so a kernel is added by adding its files:
// `node native/list-sources.cjs cc` prints native/src/*.cc, `cu` prints native/src/*.cu.
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const ext = process.argv[2];
if (ext !== 'cc' && ext !== 'cu') {
  console.error('usage: list-sources.cjs cc|cu');
  process.exit(2);
}
const dir = join('native', 'src');
const files = readdirSync(join(__dirname, 'src'))
  .filter((name) => name.endsWith(`.${ext}`))
  .sort()
  .map((name) => `${dir}/${name}`);
console.log(files.join(' '));
