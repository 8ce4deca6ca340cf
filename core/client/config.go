package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config says where the API server is and which token proves who we are.
// It is kept in ~/.podlab/config, which "podlab up" writes:
//
//	server: http://127.0.0.1:6443
//	token: 3f1c...
type Config struct {
	Server string `yaml:"server"`
	Token  string `yaml:"token"`
}

// ConfigEnv names the environment variable that points to another config
// file, like KUBECONFIG does for kubectl.
const ConfigEnv = "PODLAB_CONFIG"

// DefaultConfigPath returns $PODLAB_CONFIG, or ~/.podlab/config. Under
// sudo it is root's home, so "sudo podlab up" and "sudo podlab get" agree.
func DefaultConfigPath() string {
	if p := os.Getenv(ConfigEnv); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/root"
	}
	return filepath.Join(home, ".podlab", "config")
}

// LoadConfig reads a config file. A missing file is an error that says
// how to get one.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, fmt.Errorf("no cluster config at %s: start a cluster with \"podlab up\", or give --server and --token", path)
	}
	if err != nil {
		return Config{}, fmt.Errorf("read cluster config: %w", err)
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, fmt.Errorf("cluster config %s: %w", path, err)
	}
	if cfg.Server == "" {
		return Config{}, fmt.Errorf("cluster config %s: no server: add a line like \"server: http://127.0.0.1:6443\"", path)
	}
	return cfg, nil
}

// WriteConfig writes cfg to path, readable by its owner only: the token
// is a password.
func WriteConfig(path string, cfg Config) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("write cluster config: %w", err)
	}
	data := fmt.Appendf(nil, "# written by podlab: where the API server is, and the token to use\nserver: %s\ntoken: %s\n", cfg.Server, cfg.Token)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("write cluster config: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write cluster config: %w", err)
	}
	return nil
}

// connectTimeout bounds the first request of Connect.
const connectTimeout = 5 * time.Second

// Connect returns a client for the cluster of the config file at
// DefaultConfigPath, with the config, once its API server has answered a
// first request (a list of the Nodes): what a lab or a tool needs before
// it changes anything. Its error says what is missing.
func Connect(ctx context.Context) (*Client, Config, error) {
	cfg, err := LoadConfig(DefaultConfigPath())
	if err != nil {
		return nil, cfg, err
	}
	c, err := New(cfg)
	if err != nil {
		return nil, cfg, err
	}
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if _, _, err := c.Nodes().List(ctx, ListOptions{}); err != nil {
		return nil, cfg, err
	}
	return c, cfg, nil
}
