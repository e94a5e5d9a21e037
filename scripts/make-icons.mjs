#!/usr/bin/env node
// Draws icon.png (128x128) and logo.png (250x100) for the Home Assistant app store with a tiny
// PNG encoder (node:zlib only). Run `node scripts/make-icons.mjs` after changing the drawing;
// the PNGs are committed.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ------------------------------------------------------------------ PNG encoding
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
/** RGBA pixels (Uint8Array, width*height*4) -> PNG bytes. */
function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// ------------------------------------------------------------------ drawing (4x4 supersampling)
/** paint(x, y) -> [r, g, b, a] or null, in canvas units; returns averaged RGBA pixels. */
function render(width, height, paint) {
  const out = new Uint8Array(width * height * 4);
  const S = 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const c = paint(x + (sx + 0.5) / S, y + (sy + 0.5) / S);
          if (!c) continue;
          const ca = c[3] / 255;
          r += c[0] * ca; g += c[1] * ca; b += c[2] * ca; a += ca;
        }
      }
      const i = (y * width + x) * 4;
      if (a > 0) {
        out[i] = Math.round(r / a);
        out[i + 1] = Math.round(g / a);
        out[i + 2] = Math.round(b / a);
      }
      out[i + 3] = Math.round((a / (S * S)) * 255);
    }
  }
  return out;
}

const inRoundRect = (x, y, x0, y0, x1, y1, r) => {
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r && x >= x0 && x <= x1 && y >= y0 && y <= y1;
};
const inTriangle = (x, y, [ax, ay], [bx, by], [cx, cy]) => {
  const d1 = (x - bx) * (ay - by) - (ax - bx) * (y - by);
  const d2 = (x - cx) * (by - cy) - (bx - cx) * (y - cy);
  const d3 = (x - ax) * (cy - ay) - (cx - ax) * (y - ay);
  const neg = d1 < 0 || d2 < 0 || d3 < 0;
  const pos = d1 > 0 || d2 > 0 || d3 > 0;
  return !(neg && pos);
};
const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));

const TOP = [3, 169, 244, 255];
const BOTTOM = [21, 101, 192, 255];
const WHITE = [255, 255, 255, 255];
const SOFT = [255, 255, 255, 200];

/** The glyph in a unit box of size s at (ox, oy): playlist lines and a download arrow into a tray. */
function glyph(x, y, ox, oy, s) {
  const u = (x - ox) / s;
  const v = (y - oy) / s;
  if (u < 0 || v < 0 || u > 1 || v > 1) return null;
  if (!inRoundRect(u, v, 0.02, 0.02, 0.98, 0.98, 0.2)) return null;
  // playlist lines, top left
  for (const [ly, lw] of [[0.2, 0.42], [0.31, 0.34], [0.42, 0.26]]) {
    if (inRoundRect(u, v, 0.16, ly - 0.035, 0.16 + lw, ly + 0.035, 0.035)) return SOFT;
  }
  // arrow: shaft and head
  if (inRoundRect(u, v, 0.6, 0.16, 0.72, 0.52, 0.03)) return WHITE;
  if (inTriangle(u, v, [0.48, 0.48], [0.84, 0.48], [0.66, 0.7])) return WHITE;
  // tray
  if (inRoundRect(u, v, 0.18, 0.74, 0.84, 0.84, 0.04)) return WHITE;
  if (inRoundRect(u, v, 0.18, 0.62, 0.28, 0.84, 0.04) || inRoundRect(u, v, 0.74, 0.62, 0.84, 0.84, 0.04)) return WHITE;
  return mix(TOP, BOTTOM, v);
}

// A 5x7 pixel font, just the letters the logo needs.
const FONT = {
  M: ['10001', '11011', '10101', '10101', '10001', '10001', '10001'],
  3: ['11110', '00001', '00001', '01110', '00001', '00001', '11110'],
  U: ['10001', '10001', '10001', '10001', '10001', '10001', '01110'],
};
function text(x, y, ox, oy, px, word, color) {
  const gap = 1;
  for (let i = 0; i < word.length; i++) {
    const rows = FONT[word[i]];
    const gx = ox + i * (5 + gap) * px;
    const col = Math.floor((x - gx) / px);
    const row = Math.floor((y - oy) / px);
    if (col < 0 || col > 4 || row < 0 || row > 6) continue;
    if (rows[row][col] === '1') {
      // rounded pixels read better than squares when small
      const cx = gx + (col + 0.5) * px;
      const cy = oy + (row + 0.5) * px;
      if (Math.abs(x - cx) <= px * 0.5 && Math.abs(y - cy) <= px * 0.5) return color;
    }
  }
  return null;
}

const icon = render(128, 128, (x, y) => glyph(x, y, 0, 0, 128));
writeFileSync(path.join(root, 'icon.png'), encodePng(128, 128, icon));

const DARK = [33, 43, 54, 255];
const logo = render(250, 100, (x, y) => glyph(x, y, 6, 6, 88) ?? text(x, y, 110, 22, 8, 'M3U', DARK));
writeFileSync(path.join(root, 'logo.png'), encodePng(250, 100, logo));
console.log('wrote icon.png (128x128) and logo.png (250x100)');
