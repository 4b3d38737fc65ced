// Loading what a page shows, with its error, and a way to load it again.
import { useCallback, useEffect, useState } from "preact/hooks";
import { ApiError, get } from "./api";
import { navigate, useLocation } from "./router";
import type { FacilityEntry } from "./types";

export interface Resource<T> {
  data?: T;
  error?: ApiError;
  loading: boolean;
  reload: () => Promise<void>;
  set: (data: T) => void;
}

export function useResource<T>(path: string | null): Resource<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [loading, setLoading] = useState(true);
  const load = useCallback(async () => {
    if (path === null) return;
    setLoading(true);
    try {
      setData(await get<T>(path));
      setError(undefined);
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, "error", String(e)));
    } finally {
      setLoading(false);
    }
  }, [path]);
  useEffect(() => {
    load();
  }, [load]);
  return { data, error, loading, reload: load, set: setData };
}

/** The facilities the signed-in user may see, by id, for names in lists. */
export function useFacilityNames(): Map<string, FacilityEntry> {
  const { data } = useResource<FacilityEntry[]>("/api/v1/facilities/directory");
  return new Map((data ?? []).map((f) => [f.id, f]));
}

/** Sets the document title, so each page names itself to assistive tech and in history. */
export function useTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Noctis`;
  }, [title]);
}

/**
 * The page's query string as its filter state: reading it, and changing some
 * keys (an empty value or "all" removes one) without adding history entries.
 */
export function useUrlFilters(base: string): [URLSearchParams, (changes: Record<string, string>) => void] {
  const { params } = useLocation();
  const change = (changes: Record<string, string>) => {
    const next = new URLSearchParams(params);
    for (const [key, value] of Object.entries(changes)) {
      if (value && value !== "all") next.set(key, value);
      else next.delete(key);
    }
    const text = next.toString();
    navigate(`${base}${text ? `?${text}` : ""}`, { replace: true });
  };
  return [params, change];
}
