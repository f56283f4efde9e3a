import { closeSync, openSync, writeSync } from 'node:fs';

const CITIES = ['Oslo', 'Lima', 'Pune', 'Kyiv', 'Accra', 'Quito', 'Perth', 'Turin'];

/**
 * Writes a CSV of about `bytes` bytes: a unique id, two numbers, a low-cardinality city, a
 * high-cardinality token (the worst case for distinct counts and top values) and a date. With
 * `distinctValues`, the id repeats and the token takes that many values at most. Deterministic
 * (xorshift32), so two runs profile the same data; returns the number of rows.
 */
export function writeCsv(path: string, bytes: number, distinctValues?: number): number {
  const fd = openSync(path, 'w');
  let x = 2463534242;
  const rnd = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
  const tokens = distinctValues ?? 1e9;
  try {
    let written = writeSync(fd, 'id,amount,score,city,token,day\n');
    let i = 0;
    while (written < bytes) {
      let chunk = '';
      for (let k = 0; k < 10_000; k++, i++)
        chunk += `${distinctValues ? i % distinctValues : i},${(rnd() * 1e4).toFixed(2)},${Math.floor(rnd() * 1000)},${CITIES[Math.floor(rnd() * 8)]},t${Math.floor(rnd() * tokens).toString(36)},2024-0${1 + (i % 9)}-1${i % 10}\n`;
      written += writeSync(fd, chunk);
    }
    return i;
  } finally {
    closeSync(fd);
  }
}
