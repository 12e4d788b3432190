// Package bundle reads and writes model bundles (.axb): the unit in which a
// model version travels to gateways.
//
// A bundle is a plain ustar archive of flat members:
//
//	manifest.json          what the model is and needs (see Manifest), listing
//	                       every other member with its size and SHA-256
//	model.tflite           the model
//	labels.txt, tv0.bin …  optional extras: labels, test vector inputs
//	manifest.json.minisig  minisign signature over manifest.json; its trusted
//	                       comment is "name:<name> version:<version>"
//
// Open reads only headers and the manifest: it refuses paths with
// directories, absolute or ".." names, links, devices and other non-regular
// entries, duplicate or unlisted members, and sizes beyond Limits, all before
// reading a member's bytes. Verify then checks the signature against a
// trust.Keyring, the trusted comment against the manifest's name and
// version, and every member's size and SHA-256. Pack writes a bundle and
// (*Bundle).Sign signs one.
package bundle
