package app

import (
	"net/url"
	"strconv"
	"strings"
)

// The portal's addresses for things, spelled in one place: pages, feeds and
// the sitemap link to ideas through these, and staff may paste them back.

// ideaPath is an idea's canonical page.
func ideaPath(id int64, slug string) string {
	return "/ideas/" + strconv.FormatInt(id, 10) + "/" + slug
}

// ideaFeedPath is an idea's timeline feed, without the format extension.
func ideaFeedPath(id int64) string { return "/ideas/" + strconv.FormatInt(id, 10) + "/feed" }

// commentPath is a comment's place on its idea's page.
func commentPath(id int64, slug string, commentID int64) string {
	return ideaPath(id, slug) + "#comment-" + strconv.FormatInt(commentID, 10)
}

// parseIdeaRef reads an idea reference as staff type it: "12", "#12",
// "/ideas/12/slug" or a full URL of an idea page. It returns 0 when the text
// names no idea.
func parseIdeaRef(ref string) int64 {
	ref = strings.TrimPrefix(strings.TrimSpace(ref), "#")
	if ref == "" {
		return 0
	}
	if u, err := url.Parse(ref); err == nil && strings.Contains(ref, "/") {
		parts := strings.Split(strings.Trim(u.Path, "/"), "/")
		if len(parts) < 2 || parts[0] != "ideas" {
			return 0
		}
		ref = parts[1]
	}
	id, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}
