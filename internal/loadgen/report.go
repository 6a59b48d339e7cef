package loadgen

import (
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Targets the hold phase is measured against.
const (
	TargetRatio      = 0.3                   // successful writes (holds + releases) per second ÷ pgbench -N TPS
	TargetHoldP99    = 50 * time.Millisecond // p99 HoldSeats and ReleaseHold latency at TargetClients clients
	TargetRetryShare = 0.01                  // hold and release transactions run again, of those run
	TargetClients    = 64
	TargetMapRatio   = 0.5                   // GetSeatMap per second ÷ pgbench -S TPS
	TargetMapP99     = 20 * time.Millisecond // p99 GetSeatMap latency
	notMet, wasMet   = "not met", "met"
	skipped, noValue = "skipped", "n/a"
)

// Print writes res as a Markdown table with the targets beside it, then the oversell verdict and notes on
// where the time went.
func Print(w io.Writer, res Results) {
	writeTable(w, [3]string{"metric", "result", "target"}, rows(res))
	fmt.Fprintf(w, "\noversell check: %s\n", res.Check.Summary())
	for _, p := range res.Check.Problems {
		fmt.Fprintf(w, "  - %s\n", p)
	}
	if res.Room != nil {
		fmt.Fprintln(w)
		writeTable(w, [3]string{"waiting room", "result", "target"}, roomRows(*res.Room))
	}
	fmt.Fprintln(w, "\nNotes:")
	for _, n := range notes(res) {
		fmt.Fprintf(w, "- %s\n", n)
	}
}

func rows(res Results) [][3]string {
	h, o, v := res.Holds, res.OnSale, res.Check
	return [][3]string{
		{"clients", fmt.Sprint(res.Options.Clients), ""},
		{"hold phase duration", res.Options.Duration.String(), ""},
		{"orphan-seat rule", onOff(res.Options.OrphanRule), ""},
		{"holds/s", fmt.Sprintf("%.0f", h.PerSecond()), ""},
		{"writes/s (holds + releases)", fmt.Sprintf("%.0f", h.WritesPerSecond()), ""},
		{"hold p50 / p99", ms(h.Latency.P50) + " / " + ms(h.Latency.P99), p99Target(res, h.Latency.P99)},
		{"release p50 / p99", ms(h.Release.P50) + " / " + ms(h.Release.P99), p99Target(res, h.Release.P99)},
		{"hold and release transactions retried", retried(h), retryTarget(h)},
		{"hold conflicts", fmt.Sprintf("%d (%.1f%% of %d calls)", h.Conflicts, pct(h.Conflicts, h.Latency.N), h.Latency.N), ""},
		{"hold errors", fmt.Sprintf("%d (+%d release errors)", h.Errors, h.ReleaseErrors), ""},
		{"pgbench -N TPS", baseline(res, res.PgbenchTPS), ""},
		{"writes/s ÷ pgbench TPS", ratioOf(res.Holds.WritesPerSecond(), res.PgbenchTPS),
			ratioTargetOf(res.Holds.WritesPerSecond(), res.PgbenchTPS, TargetRatio)},
		{"GetSeatMap/s, 64 readers, the map changing every " + MapChangeEvery.String(), fmt.Sprintf("%.0f", res.Maps.PerSecond()), ""},
		{"GetSeatMap p50 / p99", ms(res.Maps.Latency.P50) + " / " + ms(res.Maps.Latency.P99),
			fmt.Sprintf("p99 < %s: %s", ms(TargetMapP99), metOrNot(res.Maps.Latency.P99 < TargetMapP99))},
		{"pgbench -S TPS", baseline(res, res.PgbenchReadTPS), ""},
		{"GetSeatMap/s ÷ pgbench -S TPS", ratioOf(res.Maps.PerSecond(), res.PgbenchReadTPS),
			ratioTargetOf(res.Maps.PerSecond(), res.PgbenchReadTPS, TargetMapRatio)},
		{"seat maps older than one already seen", fmt.Sprint(res.Maps.Older), "0"},
		{"on-sale bookings/s", fmt.Sprintf("%.0f", o.PerSecond()), ""},
		{"booking p50", ms(o.Booking.P50), ""},
		{"booking p99", ms(o.Booking.P99), ""},
		{"on-sale conflicts", fmt.Sprintf("%d (of %d HoldSeats calls)", o.Conflicts, o.Hold.N), ""},
		{"on-sale errors", fmt.Sprintf("%d (+%d booking errors)", o.Errors, o.BookingErrors), ""},
		{"time to sell out", sellOut(o), ""},
		{"seats sold", fmt.Sprintf("%d/%d", v.SaleBooked, v.Seats), ""},
		{"oversell check", v.Summary(), "0 seats sold twice"},
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

func pct(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return 100 * float64(n) / float64(of)
}

// baseline formats a pgbench figure, or says it was skipped.
func baseline(res Results, tps float64) string {
	if !res.Options.Pgbench {
		return skipped
	}
	return fmt.Sprintf("%.0f", tps)
}

// ratioOf formats x ÷ base, or n/a without a baseline.
func ratioOf(x, base float64) string {
	if base == 0 {
		return noValue
	}
	return fmt.Sprintf("%.2f", x/base)
}

// ratioTargetOf says whether x ÷ base reaches target.
func ratioTargetOf(x, base, target float64) string {
	t := fmt.Sprintf(">= %.1f: ", target)
	if base == 0 {
		return t + noValue
	}
	return t + metOrNot(x/base >= target)
}

func onOff(on bool) string {
	if on {
		return "on (default)"
	}
	return "off (variant)"
}

// retried is the share of hold and release transactions the server ran again.
func retried(h HoldResults) string {
	n, of := h.HoldRetries+h.ReleaseRetries, h.transactions()
	return fmt.Sprintf("%d of %d (%.2f%%; holds %d, releases %d)", n, of, pct(n, of), h.HoldRetries, h.ReleaseRetries)
}

func retryTarget(h HoldResults) string {
	return fmt.Sprintf("< %.0f%%: %s", 100*TargetRetryShare,
		metOrNot(float64(h.HoldRetries+h.ReleaseRetries) < TargetRetryShare*float64(h.transactions())))
}

func p99Target(res Results, p99 time.Duration) string {
	t := fmt.Sprintf("p99 < %s at %d clients: %s", ms(TargetHoldP99), TargetClients, metOrNot(p99 < TargetHoldP99))
	if res.Options.Clients != TargetClients {
		t += fmt.Sprintf(" (measured at %d)", res.Options.Clients)
	}
	return t
}

func metOrNot(ok bool) string {
	if ok {
		return wasMet
	}
	return notMet
}

func sellOut(o SaleResults) string {
	d := o.SellOut.Round(time.Millisecond).String()
	if !o.SoldOut {
		return d + " (not sold out)"
	}
	return d
}

// notes explains where the time went in each phase.
func notes(res Results) []string {
	h, o, m := res.Holds, res.OnSale, res.Maps
	n := []string{
		fmt.Sprintf("hold phase: %d HoldSeats calls, %d holds; ReleaseHold p50 %s, p99 %s; max HoldSeats %s",
			h.Latency.N, h.Holds, ms(h.Release.P50), ms(h.Release.P99), ms(h.Latency.Max)),
		"hold phase " + cpuNote(h.Stats),
		"hold phase transactions run again, by transaction and reason: " + retriesNote(h.Stats.Retries),
		"hold phase rows updated (of which heap-only): " + updatesNote(h.Stats.Updates),
		fmt.Sprintf("seat map phase: %d GetSeatMap calls, %d errors, %d distinct versions seen, %d database reads "+
			"of the map for %d changes; max %s", m.Latency.N, m.Errors, m.Versions, m.DBReads, m.Changes, ms(m.Latency.Max)),
		"seat map phase " + cpuNote(m.Stats),
		fmt.Sprintf("on-sale: %d bookings of %d seats (clients' count); GetSeatMap %d calls, p50 %s, p99 %s; "+
			"HoldSeats p50 %s, p99 %s", o.Bookings, o.SeatsSold, o.SeatMap.N, ms(o.SeatMap.P50), ms(o.SeatMap.P99),
			ms(o.Hold.P50), ms(o.Hold.P99)),
		"on-sale " + cpuNote(o.Stats),
		"on-sale transactions run again, by transaction and reason: " + retriesNote(o.Stats.Retries),
		"on-sale rows updated (of which heap-only): " + updatesNote(o.Stats.Updates),
	}
	for _, e := range []string{h.FirstError, m.FirstError, o.FirstError} {
		if e != "" {
			n = append(n, "first unexpected error: "+e)
		}
	}
	return n
}

func retriesNote(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := slices.Sorted(maps.Keys(m))
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

func updatesNote(m map[string][2]int64) string {
	var parts []string
	for _, t := range hotTables {
		if n, ok := m[t]; ok {
			parts = append(parts, fmt.Sprintf("%s %d (%d HOT)", t, n[0], n[1]))
		}
	}
	return strings.Join(parts, ", ")
}

func cpuNote(s PhaseStats) string {
	avail := s.Wall.Seconds() * float64(runtime.NumCPU())
	return fmt.Sprintf("CPU over %.1fs wall on %d cores (%.1f core-s): Go process (clients + server) %.1fs, "+
		"PostgreSQL %.1fs, the rest idle or other tenants; serialization failures retried by Transact: %d; "+
		"deadlocks: %d", s.Wall.Seconds(), runtime.NumCPU(), avail, s.GoCPU.Seconds(), s.PGCPU.Seconds(),
		s.SerializationFailures, s.Deadlocks)
}

// writeTable writes a Markdown table with padded columns.
func writeTable(w io.Writer, head [3]string, body [][3]string) {
	all := append([][3]string{head}, body...)
	var width [3]int
	for _, r := range all {
		for i, c := range r {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(r [3]string) {
		var b strings.Builder
		for i, c := range r {
			fmt.Fprintf(&b, "| %s%s ", c, strings.Repeat(" ", width[i]-len([]rune(c))))
		}
		fmt.Fprintln(w, b.String()+"|")
	}
	line(all[0])
	line([3]string{strings.Repeat("-", width[0]), strings.Repeat("-", width[1]), strings.Repeat("-", width[2])})
	for _, r := range all[1:] {
		line(r)
	}
}

func roomRows(r RoomResults) [][3]string {
	o := r.Options
	sold := "sold out"
	if !r.SoldOut {
		sold = "not sold out"
	}
	return [][3]string{
		{"arrivals", fmt.Sprintf("%d people in %s, opening at %s", o.People, o.Arrivals, o.OpensAfter), ""},
		{"seats, shopping at once", fmt.Sprintf("%d, %d", r.Seats, o.Shopping), ""},
		{"time to sell out (from opening)", fmt.Sprintf("%s (%s)", r.SellOut.Round(time.Millisecond), sold), ""},
		{"admitted, bought", fmt.Sprintf("%d, %d (%d seats)", r.Admitted, r.Buyers, r.SeatsSold), ""},
		{"most shopping at once (database)", fmt.Sprint(r.MaxShopping), fmt.Sprintf("<= %d", o.Shopping)},
		{"booking p50 / p99 (admitted)", ms(r.Booking.P50) + " / " + ms(r.Booking.P99), ""},
		{"queue wait p50 / p99", ms(r.QueueWait.P50) + " / " + ms(r.QueueWait.P99), ""},
		{"seats sold twice (database)", fmt.Sprint(r.DoubleSold), "0"},
		{"admitted, no seat while seats were free", fmt.Sprint(r.NoSeatButFree), "0"},
		{"errors", fmt.Sprintf("%d %s", r.Errors, r.FirstError), ""},
	}
}
