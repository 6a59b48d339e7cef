package rpc

import (
	"testing"

	marqueev1 "github.com/marqueehq/marquee/api/marquee/v1"
	"google.golang.org/protobuf/proto"
)

// TestAnswerCacheSharesAndForgets: one answer per versions is made and shared; a newer version replaces it
// and the replaced one is no longer shared (its encodings forgotten); past the bound the oldest key goes too.
func TestAnswerCacheSharesAndForgets(t *testing.T) {
	a := newAnswerCache(2)
	made := 0
	build := func() proto.Message { made++; return &marqueev1.GetSeatMapResponse{ShowtimeId: "s"} }
	first := a.get("s", 0, 1, build)
	if again := a.get("s", 0, 1, build); again != first || made != 1 {
		t.Fatalf("the same version: made %d answers, want 1 shared", made)
	}
	if _, ok := sharedAnswers.Load(first); !ok {
		t.Fatal("the answer is not shared")
	}
	if _, err := (plainCodec{name: "proto", binary: true}).Marshal(first); err != nil {
		t.Fatal(err)
	}
	newer := a.get("s", 0, 2, build)
	if newer == first || made != 2 {
		t.Fatalf("a newer version: made %d answers, want a second", made)
	}
	if _, ok := sharedAnswers.Load(first); ok {
		t.Error("the replaced answer is still shared")
	}
	if _, ok := encoded.Load(encodedKey{first, "proto"}); ok {
		t.Error("the replaced answer's encoding is still kept")
	}
	a.get("t", 0, 1, build)
	a.get("u", 0, 1, build) // past the bound of 2: "s" goes
	if _, ok := sharedAnswers.Load(newer); ok {
		t.Error("the evicted answer is still shared")
	}
}
