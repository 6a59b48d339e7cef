package archive

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Keyring does the envelope encryption of personal fields. Each person has a random AES-256 data key, kept in
// the database wrapped (AES-GCM) with the platform's archive key; fields are sealed with the data key (AES-GCM,
// a fresh nonce each, bound to the booking and field). Deleting a person's wrapped key leaves their fields in
// the archive unreadable for good: crypto-shredding.
type Keyring struct {
	kek cipher.AEAD
}

// NewKeyring returns a keyring wrapping data keys with a key derived from secret (at least 32 bytes).
func NewKeyring(secret []byte) (*Keyring, error) {
	if len(secret) < 32 {
		return nil, errors.New("archive: the archive key must be at least 32 bytes")
	}
	k := sha256.Sum256(append([]byte("marquee archive key-encryption key v1\x00"), secret...))
	aead, err := newGCM(k[:])
	if err != nil {
		return nil, err
	}
	return &Keyring{kek: aead}, nil
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	return cipher.NewGCM(block)
}

// NewDataKey returns a fresh data key for userID, wrapped for storage.
func (k *Keyring) NewDataKey(userID string) (wrapped []byte, err error) {
	dk := make([]byte, 32)
	if _, err := rand.Read(dk); err != nil {
		return nil, err
	}
	return seal(k.kek, dk, []byte("person:"+userID))
}

// Unwrap returns the data key of userID from its wrapped form.
func (k *Keyring) Unwrap(userID string, wrapped []byte) (DataKey, error) {
	dk, err := open(k.kek, wrapped, []byte("person:"+userID))
	if err != nil {
		return DataKey{}, fmt.Errorf("archive: the data key of %s does not unwrap: %w", userID, err)
	}
	aead, err := newGCM(dk)
	if err != nil {
		return DataKey{}, err
	}
	return DataKey{aead: aead}, nil
}

// DataKey is a person's unwrapped data key.
type DataKey struct{ aead cipher.AEAD }

// Seal encrypts a personal field of a booking; an empty value stays empty.
func (d DataKey) Seal(bookingID, field, value string) ([]byte, error) {
	if value == "" {
		return nil, nil
	}
	return seal(d.aead, []byte(value), []byte(bookingID+"/"+field))
}

// Open decrypts what Seal returned.
func (d DataKey) Open(bookingID, field string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	b, err := open(d.aead, sealed, []byte(bookingID+"/"+field))
	return string(b), err
}

func seal(aead cipher.AEAD, plain, aad []byte) ([]byte, error) {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return aead.Seal(nonce, nonce, plain, aad), nil
}

func open(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("archive: sealed value too short")
	}
	n := aead.NonceSize()
	return aead.Open(nil, sealed[:n], sealed[n:], aad)
}
