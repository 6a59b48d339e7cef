// A movie: what it is, and its showtimes by day and theatre with format, language, distance and "from" prices.
import { useEffect, useState } from "preact/hooks";
import type { Movie as MovieT, Showtime, Theatre } from "../../../api/marquee/v1/catalog_pb.js";
import { catalog, isAbort, message } from "../lib/api.js";
import { date, dayKey, dayLabel, distanceKm, km, language, money, time } from "../lib/format.js";
import { place } from "../lib/place.js";
import { Alert, Loading, Page } from "../lib/ui.js";
import { hue, initials } from "./Home.js";

export function Movie(props: { id: string }) {
  const p = place.value;
  const [movie, setMovie] = useState<MovieT | null | undefined>(undefined);
  const [theatres, setTheatres] = useState<Map<string, Theatre>>(new Map());
  const today = dayKey(new Date(), p?.timeZone);
  const days = Array.from({ length: 7 }, (_, i) => dayKey(new Date(Date.now() + i * 86400000), p?.timeZone));
  const [day, setDay] = useState(today);
  const [shows, setShows] = useState<Showtime[] | null>(null);
  const [err, setErr] = useState("");
  useEffect(() => {
    catalog.listMovies({}).then((r) => setMovie(r.movies.find((m) => m.id === props.id) ?? null), (e) => setErr(message(e)));
    catalog.listTheatres({}).then((r) => setTheatres(new Map(r.theatres.map((t) => [t.id, t]))), () => {});
  }, [props.id]);
  useEffect(() => {
    // Switching days quickly must not let an earlier day's answer, arriving late, replace this one's.
    const ctl = new AbortController();
    setShows(null);
    catalog.listShowtimes({ movieId: props.id, day, city: p?.city ?? "", pageSize: 100 }, { signal: ctl.signal })
      .then((r) => ctl.signal.aborted || setShows(r.showtimes), (e) => isAbort(e) || ctl.signal.aborted || setErr(message(e)));
    return () => ctl.abort();
  }, [props.id, day, p?.city]);
  if (movie === undefined && !err) return <Page title="Movie"><Loading what="the movie" /></Page>;
  if (!movie) return <Page title="Movie not found">{err ? <Alert>{err}</Alert> : <p>We could not find that movie.</p>}</Page>;
  const dist = (t?: Theatre) => (p && t ? distanceKm(p.latitude, p.longitude, t.latitude, t.longitude) : NaN);
  const byTheatre = new Map<string, Showtime[]>();
  for (const s of (shows ?? []).filter((s) => date(s.startsAt).getTime() > Date.now())) {
    byTheatre.set(s.theatreId, [...(byTheatre.get(s.theatreId) ?? []), s]);
  }
  const order = [...byTheatre.keys()].sort((a, b) => (dist(theatres.get(a)) || 0) - (dist(theatres.get(b)) || 0));
  return (
    <Page title={movie.title} wide>
      <div class="movie">
        <div class="poster big" aria-hidden="true" style={{ "--hue": hue(movie.id) }}>{initials(movie.title)}</div>
        <div>
          <p class="meta">
            <span class="rating"><span class="visually-hidden">Rated </span>{movie.rating}</span>{" "}
            {[movie.genres.join(", "), movie.runtimeMinutes ? `${movie.runtimeMinutes} min` : "", language(movie.language)].filter(Boolean).join(" · ")}
          </p>
          <p>{movie.synopsis}</p>
          {movie.cast.length > 0 && <p><strong>Cast:</strong> {movie.cast.join(", ")}</p>}
        </div>
      </div>
      <h2>Showtimes{p ? ` near ${p.label}` : ""}</h2>
      <div class="tabs" role="group" aria-label="Day">
        {days.map((d) => (
          <button type="button" key={d} aria-pressed={d === day} onClick={() => setDay(d)}>{dayLabel(d, today)}</button>
        ))}
      </div>
      {err && <Alert>{err}</Alert>}
      {shows === null ? <Loading what="showtimes" /> : order.length === 0 ? (
        <p role="status">No more showtimes on {dayLabel(day, today).toLowerCase() === "today" ? "today" : dayLabel(day, today)}. Try another day.</p>
      ) : (
        <ul class="theatres">
          {order.map((tid) => {
            const t = theatres.get(tid);
            const list = byTheatre.get(tid)!;
            const d = dist(t);
            return (
              <li key={tid} class="theatre">
                <h3>{list[0].theatreName}</h3>
                <p class="meta">{[t?.address, Number.isFinite(d) ? `${km(d)} away` : ""].filter(Boolean).join(" · ")}</p>
                <ul class="times">
                  {list.map((s) => (
                    <li key={s.id}>
                      <a class="time" href={`/showtime/${encodeURIComponent(s.id)}`}>
                        <strong>{time(s.startsAt, p?.timeZone)}</strong>
                        <span>{s.format} · {s.language}</span>
                        {s.fromPrice && <span>from {money(s.fromPrice)}</span>}
                        <span class="visually-hidden">, {s.screenName}</span>
                      </a>
                    </li>
                  ))}
                </ul>
              </li>
            );
          })}
        </ul>
      )}
    </Page>
  );
}
