/* escape: the one HTML escape every string from a spec or status goes
 * through, in text and in double-quoted attributes alike. */
#include "ui/ui.h"

#include <string.h>

int br_ui_escape(const char *s, struct br_buf *out)
{
	if (!s)
		return out->failed ? BR_ENOMEM : 0;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;
		switch (c) {
		case '&': br_buf_adds(out, "&amp;"); break;
		case '<': br_buf_adds(out, "&lt;"); break;
		case '>': br_buf_adds(out, "&gt;"); break;
		case '"': br_buf_adds(out, "&quot;"); break;
		case '\'': br_buf_adds(out, "&#39;"); break;
		default:
			/* Control characters have no business in a page. */
			if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r')
				br_buf_addc(out, (char)c);
		}
	}
	return out->failed ? BR_ENOMEM : 0;
}
