// Home: pick a city or share a location, see what plays nearby, search with suggestions and filters.
import { useEffect, useRef, useState } from "preact/hooks";
import type { City } from "../../../api/marquee/v1/catalog_pb.js";
import type { Facets, MovieHit, Suggestion } from "../../../api/marquee/v1/search_pb.js";
import { catalog, isAbort, message, search } from "../lib/api.js";
import { date, dayKey, dayLabel, language, money, time } from "../lib/format.js";
import { place, setPlace } from "../lib/place.js";
import { navigate } from "../lib/router.js";
import { Alert, Loading, Page } from "../lib/ui.js";

const radiusKm = 60;

export function Home() {
  const [cities, setCities] = useState<City[]>([]);
  const [err, setErr] = useState("");
  useEffect(() => {
    catalog.listCities({}).then((r) => setCities(r.cities), (e) => setErr(message(e)));
  }, []);
  const p = place.value;
  return (
    <Page title={p ? `Movies near ${p.label}` : "Find a movie near you"} wide>
      {err && <Alert>{err}</Alert>}
      <PlacePicker cities={cities} />
      {p ? <Browse /> : (
        <>
          <p>Pick your city or share your location to see what is playing near you.</p>
          <ul class="city-list" aria-label="Cities">
            {cities.map((c) => (
              <li key={c.id}>
                <button type="button" class="secondary"
                  onClick={() => setPlace({ label: c.name, latitude: c.latitude, longitude: c.longitude, city: c.id, timeZone: c.timeZone })}>
                  {c.name}
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </Page>
  );
}

function PlacePicker(props: { cities: City[] }) {
  const [locating, setLocating] = useState(false);
  const [err, setErr] = useState("");
  const p = place.value;
  const pick = (id: string) => {
    const c = props.cities.find((c) => c.id === id);
    if (c) setPlace({ label: c.name, latitude: c.latitude, longitude: c.longitude, city: c.id, timeZone: c.timeZone });
  };
  const locate = () => {
    if (!navigator.geolocation) {
      setErr("This browser cannot share its location; pick a city instead.");
      return;
    }
    setLocating(true);
    setErr("");
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        setLocating(false);
        setPlace({ label: "your location", latitude: pos.coords.latitude, longitude: pos.coords.longitude });
      },
      () => {
        setLocating(false);
        setErr("We could not get your location. Pick a city instead.");
      },
      { timeout: 10000, maximumAge: 600000 },
    );
  };
  return (
    <div class="place">
      <label for="city">City</label>
      <select id="city" value={p?.city ?? ""} onChange={(e) => pick((e.target as HTMLSelectElement).value)}>
        <option value="" disabled>Choose a city</option>
        {props.cities.map((c) => (
          <option value={c.id} key={c.id}>{c.name}, {c.country}</option>
        ))}
      </select>
      <button type="button" class="secondary" onClick={locate} disabled={locating}>
        {locating ? "Finding you…" : "Use my location"}
      </button>
      {err && <Alert>{err}</Alert>}
    </div>
  );
}

type Filters = { genres: string[]; languages: string[]; formats: string[]; day: string };

function Browse() {
  const p = place.value!;
  const [q, setQ] = useState("");
  const [filters, setFilters] = useState<Filters>({ genres: [], languages: [], formats: [], day: "" });
  const [hits, setHits] = useState<MovieHit[] | null>(null);
  const [facets, setFacets] = useState<Facets | undefined>();
  const [err, setErr] = useState("");
  useEffect(() => {
    const ctl = new AbortController();
    const t = setTimeout(() => {
      search
        .searchMovies(
          {
            query: q.trim(),
            near: { latitude: p.latitude, longitude: p.longitude },
            radiusKm,
            genres: filters.genres,
            languages: filters.languages,
            formats: filters.formats,
            day: filters.day,
            nowPlayingDays: q.trim() ? 0 : 7,
            pageSize: 24,
          },
          { signal: ctl.signal },
        )
        .then((r) => {
          setHits(r.hits);
          setFacets(r.facets);
          setErr("");
        }, (e) => isAbort(e) || setErr(message(e)));
    }, 150);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [q, filters, p.latitude, p.longitude]);
  const today = dayKey(new Date(), p.timeZone);
  const days = Array.from({ length: 7 }, (_, i) => dayKey(new Date(Date.now() + i * 86400000), p.timeZone));
  return (
    <>
      <SearchBox value={q} onInput={setQ} />
      <fieldset class="filters">
        <legend>Filters</legend>
        <FacetSelect label="Genre" values={facets?.genres.map((f) => f.value) ?? []} chosen={filters.genres[0] ?? ""}
          onChange={(v) => setFilters({ ...filters, genres: v ? [v] : [] })} />
        <FacetSelect label="Language" values={facets?.languages.map((f) => f.value) ?? []} chosen={filters.languages[0] ?? ""} name={language}
          onChange={(v) => setFilters({ ...filters, languages: v ? [v] : [] })} />
        <FacetSelect label="Format" values={facets?.formats.map((f) => f.value) ?? []} chosen={filters.formats[0] ?? ""}
          onChange={(v) => setFilters({ ...filters, formats: v ? [v] : [] })} />
        <label>
          Day
          <select value={filters.day} onChange={(e) => setFilters({ ...filters, day: (e.target as HTMLSelectElement).value })}>
            <option value="">Any day</option>
            {days.map((d) => <option key={d} value={d}>{dayLabel(d, today)}</option>)}
          </select>
        </label>
      </fieldset>
      {err && <Alert>{err}</Alert>}
      {hits === null ? <Loading what="movies" /> : hits.length === 0 ? (
        <p role="status">Nothing matches near {p.label}. Try fewer filters or another spelling.</p>
      ) : (
        <>
          <p class="visually-hidden" role="status">{hits.length} movies found</p>
          <ul class="movies" aria-label="Movies">
            {hits.map((h) => <MovieCard hit={h} key={h.movie?.id} tz={p.timeZone} />)}
          </ul>
        </>
      )}
    </>
  );
}

function FacetSelect(props: { label: string; values: string[]; chosen: string; onChange: (v: string) => void; name?: (v: string) => string }) {
  const values = props.chosen && !props.values.includes(props.chosen) ? [props.chosen, ...props.values] : props.values;
  return (
    <label>
      {props.label}
      <select value={props.chosen} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value)}>
        <option value="">Any</option>
        {values.map((v) => <option key={v} value={v}>{props.name ? props.name(v) : v}</option>)}
      </select>
    </label>
  );
}

function MovieCard(props: { hit: MovieHit; tz?: string }) {
  const m = props.hit.movie!;
  const next = props.hit.nextShowtimes.slice(0, 4);
  return (
    <li class="movie-card">
      <div class="poster" aria-hidden="true" style={{ "--hue": hue(m.id) }}>{initials(m.title)}</div>
      <div>
        <h2><a href={`/movie/${encodeURIComponent(m.id)}`}>{m.title}</a></h2>
        <p class="meta">{[m.rating, m.genres.join(", "), m.runtimeMinutes ? `${m.runtimeMinutes} min` : "", language(m.language)].filter(Boolean).join(" · ")}</p>
        {next.length > 0 && (
          <p class="next">
            Next: {next.map((s, i) => (
              <span key={s.id}>{i > 0 && ", "}<a href={`/showtime/${encodeURIComponent(s.id)}`}>{dayLabel(dayKey(date(s.startsAt), props.tz), dayKey(new Date(), props.tz))} {time(s.startsAt, props.tz)} {s.theatreName}{s.fromPrice ? ` from ${money(s.fromPrice)}` : ""}</a></span>
            ))}
          </p>
        )}
      </div>
    </li>
  );
}

/** hue gives each movie a stable poster colour. */
export function hue(id: string): number {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) % 360;
  return h;
}

/** initials stands in for a poster image. */
export function initials(title: string): string {
  return title.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0]!.toUpperCase()).join("");
}

/** SearchBox is a combobox with suggestions from Suggest (movies, theatres, cast) as the person types. */
function SearchBox(props: { value: string; onInput: (v: string) => void }) {
  const p = place.value!;
  const [text, setText] = useState(props.value);
  const [items, setItems] = useState<Suggestion[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    const prefix = text.trim();
    if (!prefix) {
      setItems([]);
      return;
    }
    const ctl = new AbortController();
    const t = setTimeout(() => {
      search.suggest({ prefix, near: { latitude: p.latitude, longitude: p.longitude }, limit: 8 }, { signal: ctl.signal })
        .then((r) => setItems(r.suggestions), () => {});
    }, 80);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [text]);
  const choose = (s: Suggestion) => {
    setOpen(false);
    if (s.kind === "movie" && s.id) navigate(`/movie/${encodeURIComponent(s.id)}`);
    else {
      setText(s.text);
      props.onInput(s.text);
    }
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "ArrowDown" && items.length) {
      e.preventDefault();
      setOpen(true);
      setActive((active + 1) % items.length);
    } else if (e.key === "ArrowUp" && items.length) {
      e.preventDefault();
      setActive(active <= 0 ? items.length - 1 : active - 1);
    } else if (e.key === "Enter") {
      e.preventDefault();
      if (open && active >= 0 && items[active]) choose(items[active]);
      else {
        setOpen(false);
        props.onInput(text);
      }
    } else if (e.key === "Escape") {
      // With suggestions shown, Escape only closes them; the search field's own Escape (clearing it) is for
      // a second press.
      if (open && items.length) e.preventDefault();
      setOpen(false);
    }
  };
  const shown = open && items.length > 0;
  return (
    <div class="search" role="search">
      <label for="q">Search movies, cast and theatres</label>
      <input id="q" ref={input} type="search" role="combobox" list={undefined} autocomplete="off" value={text}
        aria-expanded={shown} aria-controls="suggestions" aria-autocomplete="list"
        aria-activedescendant={shown && active >= 0 ? `sugg-${active}` : undefined}
        onInput={(e) => {
          const v = (e.target as HTMLInputElement).value;
          setText(v);
          setOpen(true);
          setActive(-1);
          props.onInput(v);
        }}
        onKeyDown={onKey} onBlur={() => setTimeout(() => setOpen(false), 150)} />
      <ul id="suggestions" role="listbox" aria-label="Suggestions" hidden={!shown}>
        {items.map((s, i) => (
          <li id={`sugg-${i}`} role="option" aria-selected={i === active} key={s.kind + s.id + s.text}
            onMouseDown={(e) => {
              e.preventDefault();
              choose(s);
            }}>
            {s.text} <span class="kind">{s.kind}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
