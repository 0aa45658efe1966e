/**
 * Unambiguous byte encodings for what we authenticate (AAD) and a bounds-checked reader for what we
 * parse. Every variable-length field carries its length, so no two different inputs encode to the
 * same bytes; that is what makes binding a ciphertext to its context meaningful.
 */

const MAX_UINT16 = 0xffff;
const MAX_UINT32 = 0xffff_ffff;

/** Each string as uint16 BE byte length + UTF-8 bytes, concatenated in the order given. */
export function encodeLengthPrefixedStrings(values: readonly string[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) {
    const bytes = encodeWellFormedUtf8(value);
    if (bytes.length > MAX_UINT16) throw new RangeError(`String of ${bytes.length} bytes exceeds ${MAX_UINT16}`);
    parts.push(encodeUint16(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

/**
 * A lone surrogate encodes to U+FFFD, so '\uD800' and '\uFFFD' would share bytes; refusing
 * ill-formed strings keeps the encoding injective.
 */
export function encodeWellFormedUtf8(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.toString('utf8') !== value) throw new RangeError('String is not well-formed UTF-16');
  return bytes;
}

/** 1-byte length + printable ASCII (0x21–0x7E): identifiers such as provider names and key ids. */
export function encodeShortAscii(value: string, maxLength: number): Buffer {
  if (!isShortAscii(value, maxLength)) {
    throw new RangeError(`Identifier must be 1 to ${maxLength} printable ASCII characters without spaces`);
  }
  return Buffer.concat([Buffer.from([value.length]), Buffer.from(value, 'ascii')]);
}

export function isShortAscii(value: string, maxLength: number): boolean {
  return value.length >= 1 && value.length <= Math.min(maxLength, 255) && /^[\x21-\x7e]+$/.test(value);
}

export function encodeUint16(value: number): Buffer {
  const bytes = Buffer.alloc(2);
  bytes.writeUInt16BE(value);
  return bytes;
}

export function encodeUint32(value: number): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT32) throw new RangeError('Value is not a uint32');
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value);
  return bytes;
}

export type ByteReader = ReturnType<typeof createByteReader>;

/** Reads forward through a buffer; any read past the end throws RangeError. */
export function createByteReader(buffer: Buffer) {
  let offset = 0;

  function readBytes(length: number): Buffer {
    if (length < 0 || offset + length > buffer.length) throw new RangeError('Input is truncated');
    const bytes = buffer.subarray(offset, offset + length);
    offset += length;
    return bytes;
  }

  return {
    readBytes,
    readUint8: (): number => readBytes(1).readUInt8(0),
    readUint32: (): number => readBytes(4).readUInt32BE(0),
    readShortAscii(maxLength: number): string {
      const value = readBytes(readBytes(1).readUInt8(0)).toString('latin1');
      if (!isShortAscii(value, maxLength)) throw new RangeError('Identifier is not printable ASCII within its limit');
      return value;
    },
    get offset(): number {
      return offset;
    },
    get remaining(): number {
      return buffer.length - offset;
    },
  };
}
