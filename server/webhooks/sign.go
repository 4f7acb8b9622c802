package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	// HeaderSignature is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + body)>.
	HeaderSignature = "X-Citymap-Signature"
	// HeaderDelivery is the change's feed seq: the idempotency key.
	HeaderDelivery = "X-Citymap-Delivery"
	// HeaderEvent is the delivery's event kind.
	HeaderEvent = "X-Citymap-Event"
	// HeaderWebhook is the subscription's id.
	HeaderWebhook = "X-Citymap-Webhook"
)

// Signature is the value of HeaderSignature for body, signed at t.
func Signature(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// Verification errors.
var (
	ErrBadSignature = errors.New("the signature does not match")
	ErrStale        = errors.New("the signature's timestamp is too old or in the future")
)

// Verify checks a delivery as a receiver does (docs/WEBHOOKS.md): the header's
// HMAC over its timestamp and the body, and a timestamp within tolerance of now.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || sig == "" {
		return ErrBadSignature
	}
	if !hmac.Equal([]byte(sig), []byte(mac(secret, ts, body))) {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(unix, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	return nil
}
