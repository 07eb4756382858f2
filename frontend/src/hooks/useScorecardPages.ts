import { api, type ScorecardQuery, type ScorecardRow } from '../api/client';
import { nextOffset, useLoadMore, type MoreSource } from './useLoadMore';

export const SCORECARD_PAGE = 200;

const SCORECARDS: MoreSource<ScorecardQuery, ScorecardRow, number> = {
  fetch: async (query, offset, signal) => {
    const page = await api.listScorecards({ ...query, limit: SCORECARD_PAGE, offset: offset ?? 0 }, signal);
    return { items: page.items, total: page.total, next: nextOffset(offset, page.items.length, page.total) };
  },
};

/** The scorecards list, 200 rows per call as the virtualised list scrolls; a change of the replica reloads it. */
export function useScorecardPages(query: ScorecardQuery, refreshKey: string) {
  return useLoadMore(SCORECARDS, query, { refreshKey });
}
