package config

import "slices"

// With returns a copy of c changed by set, with the defaults applied and
// validated like a file (name is used in errors); c is untouched. It checks
// a setting changed at run time (config.set) against the rest of the
// configuration.
func (c *Config) With(name string, set func(*Config)) (*Config, error) {
	n := *c
	n.lines = lineIndex{} // line numbers of c's file do not apply
	n.MQTT.Groups = slices.Clone(c.MQTT.Groups)
	n.Sensors = slices.Clone(c.Sensors)
	n.Models = slices.Clone(c.Models)
	set(&n)
	if err := n.Finish(name); err != nil {
		return nil, err
	}
	return &n, nil
}
