// Package trust holds the Ed25519 keys and signatures that protect what a
// gateway accepts: model bundles, commands and agent binaries. Keys and
// signatures use minisign's file formats, so operators can sign with the
// `minisign` tool and axle verifies, or the other way round.
//
//	GenerateKey ──► PublicKey  (key.pub: "untrusted comment" line + "RW…" base64)
//	            └─► SecretKey  (key.key: scrypt-encrypted, or plain as `minisign -W`)
//	Sign(sk, msg, trusted comment) ──► .minisig bytes (prehashed BLAKE2b-512, "ED")
//	Keyring{pub1, pub2, …}.Verify(msg, sig) ──► key id, trusted comment
//
// A keyring holds several keys so that a fleet can rotate keys: add the new
// public key, sign with the new secret key, then drop the old public key.
// Signatures in the legacy non-prehashed form ("Ed") verify as well.
package trust
