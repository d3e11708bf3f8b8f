package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/cluetrain/cluetrain/public"
)

// assets maps each file in public/ to a name carrying its content hash, so
// that it can be cached for a year and still change the moment it changes.
type assets struct {
	hashed map[string]string // style.css -> style.1a2b3c4d5e.css
	files  map[string][]byte // hashed name -> content
	types  map[string]string // hashed name -> content type
}

func loadAssets() (*assets, error) {
	as := &assets{hashed: map[string]string{}, files: map[string][]byte{}, types: map[string]string{}}
	err := fs.WalkDir(public.FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(public.FS, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(p)
		name := strings.TrimSuffix(p, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		as.hashed[p] = name
		as.files[name] = body
		ctype := mime.TypeByExtension(ext)
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		as.types[name] = ctype
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load assets: %w", err)
	}
	return as, nil
}

// url is the public path of an asset; a missing asset fails the render.
func (as *assets) url(name string) (string, error) {
	h, ok := as.hashed[name]
	if !ok {
		return "", fmt.Errorf("no asset %q", name)
	}
	return "/static/" + h, nil
}

// serveAsset answers /static/:file for hashed names only.
func (a *App) serveAsset(c *fiber.Ctx) error {
	name := c.Params("file")
	body, ok := a.assets.files[name]
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, a.assets.types[name])
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	return c.Send(body)
}
