/* page: the frame every page shares (head, style, banner) and the JSON
 * look-ups the renderers use. */
#include "ui/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}"
	"table{border-collapse:collapse}td,th{padding:3px 8px;text-align:left;"
	"border-bottom:1px solid #d0d7de}th{background:#f6f8fa}"
	".bar{display:inline-block;width:120px;height:10px;background:#eee;"
	"vertical-align:middle;margin-right:6px}.bar span{display:block;height:100%}"
	".ok{background:#2da44e}.warn{background:#d4a72c}.bad{background:#cf222e}"
	".banner{background:#ffebe9;border:1px solid #cf222e;padding:8px;margin:8px 0}"
	"a{color:#0969da}form{margin:8px 0}.muted{color:#656d76}"
	".fire{color:#cf222e;font-weight:bold}";

void br__ui_page_open(const char *title, const char *banner, struct br_buf *out)
{
	br_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
		    "<title>");
	br_ui_escape(title, out);
	br_buf_addf(out, " - burnrate</title><style>%s</style></head><body>\n"
		    "<p><a href=\"/\">burnrate</a></p>\n", style);
	if (banner) {
		br_buf_adds(out, "<div class=\"banner\" role=\"alert\">");
		br_ui_escape(banner, out);
		br_buf_adds(out, "</div>\n");
	}
}

void br__ui_page_close(struct br_buf *out)
{
	br_buf_adds(out, "</body></html>\n");
}

const json_t *br__ui_get(const json_t *o, const char *a, const char *b,
			 const char *c)
{
	const char *keys[] = {a, b, c};

	for (size_t i = 0; i < 3 && keys[i] && o; i++)
		o = json_object_get(o, keys[i]);
	return o;
}

const char *br__ui_str(const json_t *o, const char *a, const char *b,
		       const char *c)
{
	return json_string_value(br__ui_get(o, a, b, c));
}

const json_t *br__ui_condition(const json_t *slo, const char *type)
{
	const json_t *conds = br__ui_get(slo, "status", "conditions", NULL);
	size_t i;
	const json_t *c;

	json_array_foreach(conds, i, c) {
		const char *t = json_string_value(json_object_get(c, "type"));
		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

void br__ui_number(const json_t *v, struct br_buf *out)
{
	if (json_is_integer(v))
		br_buf_addf(out, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		br_buf_addf(out, "%.10g", json_real_value(v));
	else
		br_buf_adds(out, "-");
}

void br__ui_value(const json_t *v, struct br_buf *out)
{
	if (json_is_string(v))
		br_ui_escape(json_string_value(v), out);
	else if (json_is_boolean(v))
		br_buf_adds(out, json_is_true(v) ? "yes" : "no");
	else
		br__ui_number(v, out);
}

double br__ui_budget_left(const json_t *slo)
{
	const json_t *budget = br__ui_get(slo, "status", "budget", NULL);
	const json_t *rem = json_object_get(budget, "remaining");
	const char *pct = json_string_value(json_object_get(budget, "remainingPercent"));
	char *end;

	if (json_is_number(rem))
		return json_number_value(rem) * 100;
	if (pct) {
		double v = strtod(pct, &end);
		if (end != pct && (*end == '%' || *end == '\0') && isfinite(v))
			return v;
	}
	return NAN;
}
