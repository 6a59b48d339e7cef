package rpc

import (
	"net/http"

	connectcors "connectrpc.com/cors"
	"github.com/rs/cors"
)

// WithCORS lets browser apps served from origins call h with the Connect, gRPC-Web and gRPC protocols
// (preflights answered, Connect's and gRPC's headers allowed and exposed, preflights cached for two hours).
// With no origins h is returned as it is: same-origin only, the default. An origin is a scheme and host such
// as "https://tickets.example.com"; "*" allows any origin (credentials are bearer tokens in a header, never
// cookies, so no origin is ever sent credentials).
func WithCORS(h http.Handler, origins []string) http.Handler {
	if len(origins) == 0 {
		return h
	}
	return cors.New(cors.Options{
		AllowedOrigins: origins,
		AllowedMethods: connectcors.AllowedMethods(),
		AllowedHeaders: append(connectcors.AllowedHeaders(), "Authorization", "Idempotency-Key"),
		ExposedHeaders: append(connectcors.ExposedHeaders(), "Marquee-Region", "X-Request-Id"),
		MaxAge:         7200,
	}).Handler(h)
}
