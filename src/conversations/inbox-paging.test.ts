import { describe, expect, it } from 'vitest';
import { takeTimePage } from './inbox-paging.js';

type Row = { id: string; time: number };
const rows = (...times: number[]): Row[] => times.map((time, position) => ({ id: `r${position}`, time }));

describe('pages with a bare time cursor', () => {
  it('is the last page when no row is left over', async () => {
    expect(await takeTimePage(rows(9, 8), 2, (row) => row.time, async () => [])).toEqual({ items: rows(9, 8), nextBefore: null });
  });

  it('cuts at the limit when the next row is older', async () => {
    const page = await takeTimePage(rows(9, 8, 7), 2, (row) => row.time, async () => {
      throw new Error('no ties to load');
    });
    expect(page).toEqual({ items: rows(9, 8), nextBefore: 8 });
  });

  it('takes every row of the boundary time when the page would split them', async () => {
    const ties = [{ id: 'b', time: 8 }, { id: 'a', time: 8 }, { id: 'c', time: 8 }];
    const page = await takeTimePage([{ id: 'x', time: 9 }, ties[0]!, ties[1]!], 2, (row) => row.time, async (time) => (time === 8 ? ties : []));
    expect(page).toEqual({ items: [{ id: 'x', time: 9 }, ...ties], nextBefore: 8 });
  });
});
