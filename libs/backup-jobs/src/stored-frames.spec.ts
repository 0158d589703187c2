import { rawFrameOverhead, ZstdProcess } from '@lockstep/backup-engine';
import { randomBytes } from 'node:crypto';
import { StoredFrames } from './stored-frames';

describe('StoredFrames', () => {
  const zstd = new ZstdProcess(3);
  const sut = new StoredFrames(zstd);

  it.each([
    ['empty', Buffer.alloc(0)],
    ['one byte', Buffer.from('x')],
    ['exactly one block', randomBytes(128 * 1024)],
    ['several blocks and a tail', randomBytes(3 * 128 * 1024 + 17)],
  ])('writes %s as a frame the zstd binary decodes to the same bytes, uncompressed', async (_what, data) => {
    const frame = await sut.compress(data);

    expect(frame.length).toBe(rawFrameOverhead(data.length) + data.length);
    expect((await zstd.decompress(frame)).equals(data)).toBe(true);
  });
});
