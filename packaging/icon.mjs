// Draws packaging/icon.png (the bundle's icon: a sun with a tick on a navy tile) with nothing but
// zlib, so the picture can be changed and redrawn without an image editor: node packaging/icon.mjs
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

/** Claude Desktop's recommended icon size. */
const SIZE = 512;
/** Samples per pixel along each axis: smooth edges without a rasteriser. */
const SAMPLES = 4;

const NAVY = [18, 48, 79];
const SUN = [255, 184, 28];
const WHITE = [255, 255, 255];

const centre = SIZE / 2;

function insideTile(x, y) {
  const radius = 96;
  const dx = Math.max(radius - x, 0, x - (SIZE - radius));
  const dy = Math.max(radius - y, 0, y - (SIZE - radius));
  return dx * dx + dy * dy <= radius * radius;
}

function distanceToSegment(x, y, [ax, ay], [bx, by]) {
  const t = Math.max(
    0,
    Math.min(1, ((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / ((bx - ax) ** 2 + (by - ay) ** 2)),
  );
  return Math.hypot(x - (ax + t * (bx - ax)), y - (ay + t * (by - ay)));
}

function insideRay(x, y) {
  const angle = Math.atan2(y - centre, x - centre);
  const r = Math.hypot(x - centre, y - centre);
  const nearest = Math.round(angle / (Math.PI / 6)) * (Math.PI / 6);
  const from = [centre + 138 * Math.cos(nearest), centre + 138 * Math.sin(nearest)];
  const to = [centre + 196 * Math.cos(nearest), centre + 196 * Math.sin(nearest)];
  return r > 120 && distanceToSegment(x, y, from, to) <= 16;
}

function insideTick(x, y) {
  const a = [centre - 52, centre + 2];
  const b = [centre - 14, centre + 42];
  const c = [centre + 58, centre - 40];
  return Math.min(distanceToSegment(x, y, a, b), distanceToSegment(x, y, b, c)) <= 17;
}

/** The colour at one sample point, or undefined outside the tile (transparent). */
function colourAt(x, y) {
  if (!insideTile(x, y)) return undefined;
  if (insideTick(x, y)) return WHITE;
  if (Math.hypot(x - centre, y - centre) <= 112 || insideRay(x, y)) return SUN;
  return NAVY;
}

const rows = [];
for (let py = 0; py < SIZE; py++) {
  // Each row starts with its filter type: 0, none (the flat areas compress well without one).
  const row = Buffer.alloc(1 + SIZE * 4);
  for (let px = 0; px < SIZE; px++) {
    const sum = [0, 0, 0, 0];
    for (let sy = 0; sy < SAMPLES; sy++) {
      for (let sx = 0; sx < SAMPLES; sx++) {
        const colour = colourAt(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
        if (!colour) continue;
        for (let i = 0; i < 3; i++) sum[i] += colour[i];
        sum[3]++;
      }
    }
    const covered = sum[3];
    const offset = 1 + px * 4;
    if (covered) for (let i = 0; i < 3; i++) row[offset + i] = Math.round(sum[i] / covered);
    row[offset + 3] = Math.round((255 * covered) / SAMPLES ** 2);
  }
  rows.push(row);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bits per channel
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('./icon.png', import.meta.url), png);
process.stdout.write(`packaging/icon.png: ${SIZE}x${SIZE}, ${png.length} bytes\n`);
