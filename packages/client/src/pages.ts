/** A page of a cursor-paginated list. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The pages of a list, first to last, each fetched when the previous one was consumed: pass
 * `nextCursor` back until it is null. Newest-first lists stay consistent while items are added:
 * new items land before the cursor, so a walk neither repeats nor skips an older one.
 */
export async function* pagesOf<T, P extends Page<T>>(fetchPage: (cursor: string | undefined) => Promise<P>, cursor?: string): AsyncGenerator<P> {
  let next: string | undefined = cursor;
  do {
    const page = await fetchPage(next);
    yield page;
    next = page.nextCursor ?? undefined;
  } while (next !== undefined);
}

/** Every item of every page. */
export async function* itemsOf<T>(pages: AsyncIterable<Page<T>>): AsyncGenerator<T> {
  for await (const page of pages) yield* page.items;
}
