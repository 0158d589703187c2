import { createHash } from 'node:crypto';
import { ObjectNotFoundError } from '@lockstep/storage';
import type { VerifySource } from './backup-verifier';
import type { ChunkCipher } from './chunk-cipher';
import type { PackSink } from './pack-writer';
import type { Compressor } from './zstd.process';

/** In-memory packs for unit specs of PackWriter, PackReader and the verifier. */
export class FakePackStore implements PackSink, VerifySource {
  readonly packs = new Map<string, Buffer>();
  readonly indexes = new Map<string, Record<string, unknown>>();
  constructor(readonly cipher: ChunkCipher | undefined = undefined) {}

  async putPack(name: string, bytes: Buffer, index: Record<string, unknown>): Promise<number> {
    if (createHash('sha256').update(bytes).digest('hex') !== name) throw new Error('pack name is not its hash');
    this.packs.set(name, Buffer.from(bytes));
    this.indexes.set(name, index);
    return bytes.length;
  }

  async getPack(name: string): Promise<Buffer> {
    const p = this.packs.get(name);
    if (!p) throw new ObjectNotFoundError('fake', `packs/${name}`);
    return Buffer.from(p);
  }

  async removeIndex(name: string): Promise<void> {
    this.indexes.delete(name);
  }
}

/** A compressor that marks its output, so a skipped decompression shows. */
export const fakeCompressor: Compressor = {
  compress: async (d) => Buffer.concat([Buffer.from('Z'), d]),
  decompress: async (d) => {
    if (d[0] !== 0x5a) throw new Error('not compressed');
    return d.subarray(1);
  },
};
