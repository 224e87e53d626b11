/** Finding the buffers in a value that can be moved to another thread instead of copied. */

/**
 * The distinct ArrayBuffers of `value`: itself, the buffer of a typed array,
 * or those of the properties of an object or array, two levels deep (enough
 * for `{ columns: { a: Float64Array } }`). SharedArrayBuffers are shared, not
 * moved, so they are left out.
 */
export function collectTransferables(value: unknown, depth = 2): ArrayBuffer[] {
  const found = new Set<ArrayBuffer>();
  const visit = (item: unknown, level: number) => {
    if (item instanceof ArrayBuffer) {
      if (item.byteLength > 0) found.add(item);
    } else if (ArrayBuffer.isView(item)) {
      if (item.buffer instanceof ArrayBuffer && item.buffer.byteLength > 0) found.add(item.buffer);
    } else if (level < depth && typeof item === "object" && item !== null) {
      for (const child of Array.isArray(item) ? item : Object.values(item)) visit(child, level + 1);
    }
  };
  visit(value, -1);
  return [...found];
}
