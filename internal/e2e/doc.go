// Package e2e holds Marquee's end-to-end tests across regions: every region served by its own process (in this
// test process, or as `marquee region` children of internal/devstack), one PostgreSQL, the NATS supercluster
// and the edge in front, exercised through the edge as clients would, and checked against the committed state
// of the database. It has no code of its own.
package e2e
