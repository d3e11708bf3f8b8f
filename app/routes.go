package app

import (
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/gofiber/fiber/v2/middleware/etag"
	"github.com/gofiber/fiber/v2/middleware/recover"
)

// routes is the whole HTTP surface in one place.
//
// Middleware order: recover first so that nothing escapes it; the request id
// next so every later line can name the request; then the request log and
// metrics (which see the final status), security headers, the page cache,
// compression and ETags;
// then the session user and the CSRF check, which only matter to handlers.
func (a *App) routes() {
	r := a.fiber
	r.Use(recover.New())
	r.Use(requestID())
	r.Use(a.logRequests)
	r.Use(a.metrics.observe)
	r.Use(a.securityHeaders())
	r.Use(a.limitBodies)
	// Signed-out pages come from the page cache when they can, already
	// compressed and with their ETag, so a hit skips the two below.
	r.Use(a.servePageCache)
	// Pages are compressed afresh on every request, so at the fastest
	// level: on the home page brotli's default level took three times as
	// long (about 0.3 ms) to save a few hundred bytes of some four thousand.
	r.Use(compress.New(compress.Config{Level: compress.LevelBestSpeed}))
	r.Use(etag.New(etag.Config{Weak: true}))

	// Crawlers, health and assets need no session.
	r.Get("/healthz", a.showHealth)
	r.Get("/metrics", noCookies, a.showMetrics)
	r.Get("/robots.txt", a.showRobots)
	r.Get("/sitemap.xml", a.showSitemap)
	r.Get("/sitemaps/:file", a.showSitemapFile)
	r.Get("/static/:file", a.serveAsset)
	r.Get("/site.css", a.showSiteCSS)
	r.Get("/logo/:hash", a.showLogo)

	// Feeds are shared documents: they never read or slide a session and
	// never set a cookie, not even on an error page. Registered here, they
	// also come before the idea page routes they would otherwise match.
	// A private portal's feeds are closed to them all.
	r.Get("/feeds/:feed.:format", noCookies, a.privateFeeds, a.showFeed)
	r.Get("/boards/:slug/feed.:format", noCookies, a.privateFeeds, a.showBoardFeed)
	r.Get("/ideas/:id/feed.:format", noCookies, a.privateFeeds, a.showIdeaFeed)

	// One-click unsubscribe comes from mail providers, with no cookie and
	// no CSRF token: the signed link is the authority (see unsubscribe.go).
	r.Get("/unsubscribe/:token", noCookies, a.showUnsubscribe)
	r.Post("/unsubscribe/:token", noCookies, a.unsubscribe)

	// The API authenticates each request by its bearer key: no session,
	// no cookie, and so no CSRF token (see api.go).
	a.apiRoutes(r)

	r.Use(a.loadUser)
	r.Use(a.gatePortal)
	r.Use(a.checkCSRF)

	// Ideas. Each abuse limit is built once, so a limit shared by two
	// routes (vote and unvote) counts both.
	ideaLimits := []fiber.Handler{a.limit("idea-user", byUser), a.limit("idea-ip", a.clientIP)}
	voteLimits := []fiber.Handler{a.limit("vote-user", byUser), a.limit("vote-ip", a.clientIP)}
	commentLimits := []fiber.Handler{a.limit("comment-user", byUser), a.limit("comment-ip", a.clientIP)}
	r.Get("/", a.showHome)
	r.Get("/ideas/new", a.requireWriter, a.newIdea)
	r.Get("/ideas/similar", a.similarIdeas)
	r.Post("/ideas", chain(a.requireWriter, ideaLimits, a.createIdea)...)
	r.Get("/ideas/:id/voters.csv", a.requireStaffDownload, a.exportVoters)
	r.Get("/ideas/:id", a.showIdea)
	r.Get("/ideas/:id/:slug", a.showIdea)
	r.Post("/ideas/:id/vote", chain(a.requireWriter, voteLimits, a.voteIdea)...)
	r.Post("/ideas/:id/unvote", chain(a.requireWriter, voteLimits, a.unvoteIdea)...)
	r.Post("/ideas/:id/comments", chain(a.requireWriter, commentLimits, a.createComment)...)
	r.Post("/ideas/:id/comments/:cid/edit", chain(a.requireWriter, commentLimits, a.updateComment)...)
	r.Post("/ideas/:id/comments/:cid/hide", a.requireStaff, a.hideComment)
	reportLimit := a.limit("report-user", byUser)
	r.Post("/ideas/:id/report", a.requireWriter, reportLimit, a.reportIdea)
	r.Post("/ideas/:id/comments/:cid/report", a.requireWriter, reportLimit, a.reportComment)
	r.Post("/ideas/:id/subscribe", a.requireUser, a.subscribeIdea)
	r.Post("/ideas/:id/unsubscribe", a.requireUser, a.unsubscribeIdea)

	// Staff and roadmap.
	r.Post("/ideas/:id/status", a.requireStaff, a.updateStatus)
	r.Post("/ideas/:id/merge", a.requireStaff, a.mergeIdea)
	r.Post("/ideas/:id/hide", a.requireStaff, a.hideIdea)
	r.Post("/ideas/:id/unhide", a.requireStaff, a.unhideIdea)
	r.Get("/triage", a.requireStaff, a.showTriage)
	r.Get("/triage.csv", a.requireStaffDownload, a.exportTriage)
	r.Get("/roadmap", a.showRoadmap)
	r.Post("/roadmap/move", a.requireStaff, a.moveRoadmapCard)
	r.Get("/changelog", a.showChangelog)

	// A person's notifications and mail settings.
	r.Get("/notifications", a.requireUser, a.showNotifications)
	r.Post("/notifications/read", a.requireUser, a.markNotificationsRead)
	r.Get("/settings", a.requireUser, a.showSettings)
	r.Post("/settings", a.requireUser, a.saveSettings)

	// Moderation: the queue is staff work, the audit log is for admins.
	r.Get("/admin/queue", a.requireStaff, a.showQueue)
	r.Post("/ideas/:id/approve", a.requireStaff, a.approveIdea)
	r.Post("/ideas/:id/decline", a.requireStaff, a.declineIdea)
	r.Post("/ideas/:id/comments/:cid/approve", a.requireStaff, a.approveComment)
	r.Post("/ideas/:id/comments/:cid/decline", a.requireStaff, a.declineComment)
	r.Post("/admin/reports/resolve", a.requireStaff, a.resolveReports)
	r.Get("/admin/audit", a.requireAdmin, a.showAudit)

	// Admin.
	r.Get("/admin/deliveries", a.requireAdmin, a.showDeliveries)
	r.Post("/admin/deliveries/:id/retry", a.requireAdmin, a.retryDelivery)
	r.Get("/admin/api", a.requireAdmin, a.showAPIAdmin)
	r.Post("/admin/api/keys", a.requireAdmin, a.createAPIKey)
	r.Post("/admin/api/keys/:id/revoke", a.requireAdmin, a.revokeAPIKey)
	r.Post("/admin/api/webhooks", a.requireAdmin, a.createWebhookForm)
	r.Post("/admin/api/webhooks/:id/delete", a.requireAdmin, a.deleteWebhookForm)
	r.Post("/admin/api/webhooks/:id/enable", a.requireAdmin, a.enableWebhookForm)
	r.Get("/admin", a.requireAdmin, a.showAdmin)
	r.Get("/admin/export", a.requireAdmin, a.exportPortal)
	r.Post("/admin/boards", a.requireAdmin, a.createBoard)
	r.Post("/admin/boards/:id", a.requireAdmin, a.updateBoard)
	r.Post("/admin/users/role", a.requireAdmin, a.setUserRole)
	r.Post("/admin/users/block", a.requireAdmin, a.blockUser)
	r.Post("/admin/users/unblock", a.requireAdmin, a.unblockUser)
	r.Post("/admin/settings", a.requireAdmin, a.saveSiteSettings)
	r.Post("/admin/statuses", a.requireAdmin, a.addStatus)
	r.Post("/admin/statuses/:slug", a.requireAdmin, a.editStatus)
	r.Post("/admin/statuses/:slug/merge", a.requireAdmin, a.mergeStatus)

	// Sign-in and out. Every sign-in endpoint is limited per client address;
	// sending a link is also limited per address it is sent to.
	signinIP := a.limit("signin-ip", a.clientIP)
	r.Get("/login", a.ssoLogin, a.showLogin)
	r.Get("/sso", signinIP, a.ssoSignIn) // sign-in from the company's own app (sso.go)
	r.Post("/login/email", a.requireCSRF, signinIP, a.limit("signin-email", byEmail), a.sendLoginLink)
	r.Get("/login/email/:token", signinIP, a.useLoginLink) // and HEAD, which spends nothing
	r.Post("/login/email/:token", a.requireCSRF, signinIP, a.confirmLoginLink)
	r.Get("/auth/:provider", signinIP, a.beginAuth)
	r.Get("/auth/:provider/callback", signinIP, a.finishAuth)
	r.Post("/logout", a.requireCSRF, a.logout)
	// Anything else falls through to Fiber's not-found, shown by handleError.
}

// chain lists a route's handlers: a gate, its limits, then the handler.
func chain(gate fiber.Handler, limits []fiber.Handler, h fiber.Handler) []fiber.Handler {
	return append(append([]fiber.Handler{gate}, limits...), h)
}
