package config

// Trust lists the public keys whose signatures the agent accepts, as
// minisign public keys ("RW…" strings) or paths of minisign .pub files.
// Several keys may be listed so that keys can be rotated.
type Trust struct {
	CommandKeys []string `yaml:"command_keys"` // fleet commands; when set, unsigned commands are rejected
}
