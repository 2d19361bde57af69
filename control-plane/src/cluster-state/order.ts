/**
 * The one ordering the cluster state uses wherever order is observable (listings, snapshots):
 * replicas must agree byte for byte, and a restored state's maps are filled in a different order
 * than the commands filled the original's.
 */

/** Code-unit order: locale-independent, so every coordinator sorts the same way. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function valuesByKey<V>(map: ReadonlyMap<string, V>): V[] {
  return [...map.keys()].sort(compareStrings).map((key) => map.get(key) as V);
}
