package models

// The demo data's words: names, wants and reasons, and the responses staff
// give, from which the seed draws deterministically.
var (
	seedFirst = []string{"Ada", "Bruno", "Chloé", "Dmitri", "Esther", "Farid", "Grace", "Hiro", "Ines", "Jonas",
		"Kemi", "Lars", "Maya", "Nikolai", "Olga", "Priya", "Quentin", "Rosa", "Sami", "Tomasz", "Uma", "Victor",
		"Wen", "Ximena", "Yusuf", "Zoë"}
	seedLast = []string{"Albers", "Baptiste", "Chen", "Dubois", "Eriksen", "Fontaine", "García", "Hoffmann", "Ivanova",
		"Jensen", "Kowalski", "Lindqvist", "Moreau", "Nakamura", "Okafor", "Petrov", "Quinn", "Rossi", "Schmidt",
		"Tanaka", "Usman", "Varga", "Wright", "Yilmaz", "Zhang"}
	seedWants = []string{
		"Export %s as CSV", "Dark mode for %s", "Keyboard shortcuts in %s", "Bulk edit %s",
		"Two-factor authentication for %s", "Webhooks when %s change", "Filter %s by date range",
		"Share %s with a public link", "Offline mode for %s", "Custom fields on %s",
		"Slack notifications for %s", "Archive old %s", "Undo for changes to %s", "Templates for %s",
		"Search inside %s", "An API endpoint for %s", "Import %s from a spreadsheet", "Recurring %s",
		"Print-friendly %s", "Drag and drop to reorder %s", "Tags on %s", "Comments on %s",
		"Granular permissions for %s", "Audit log for %s", "Faster loading of %s",
	}
	seedThings = []string{"reports", "invoices", "projects", "the dashboard", "tasks", "the mobile app",
		"customer records", "calendar events", "team workspaces", "documents", "time entries", "forms",
		"the analytics page", "support tickets", "contacts", "checklists", "the timeline view", "attachments"}
	seedWhy = []string{
		"Our team spends hours every week working around this.",
		"We have to copy everything by hand right now, which is slow and error-prone.",
		"Several of our customers have asked for this in the last month.",
		"This would let us retire a spreadsheet we maintain on the side.",
		"Competitors already offer this and it comes up in every renewal call.",
		"It is the one thing stopping us from rolling the product out to the whole company.",
	}
	seedDetail = []string{
		"Ideally it would:\n\n- keep the current layout\n- remember my last choice\n- work on mobile too",
		"Something as simple as a button next to **Save** would already help a lot.",
		"For context, we have around 40 people using this daily across three time zones.",
		"Happy to test an early version if that helps — we can give feedback within a day.",
		"A small first step would be fine; it doesn't need every option on day one.",
	}
	seedComments = []string{
		"+1, we need this too.", "This would save us a lot of time.",
		"Same here. Any update on timing?", "We built a workaround with a script, but a native option would be much better.",
		"Agreed. Please also consider making it available through the API.",
		"Our whole team voted for this one.", "Would love to see this soon!",
		"Is there a beta we could join?", "Exactly what we were about to request.",
	}
	seedResponses = map[string]string{
		"under_review": "Thanks for raising this. We're looking into how it would fit with the rest of the product.",
		"planned":      "Good news: this is **planned** for an upcoming release. We'll post here when work starts.",
		"in_progress":  "Work on this has started. Follow this idea to hear when it ships.",
		"done":         "This has shipped! Thanks to everyone who voted and shared their use cases.",
		"declined":     "Thanks for the suggestion. We've decided not to pursue this for now, as it doesn't fit where the product is heading.",
	}
)
