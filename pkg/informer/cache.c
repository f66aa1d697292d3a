/* cache: the key every informer cache uses, "namespace/name". */
#include "informer/informer.h"

int br_informer_key(const json_t *obj, struct br_buf *out)
{
	json_t *md = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(md, "name"));
	const char *ns = json_string_value(json_object_get(md, "namespace"));
	if (!name || !*name)
		return BR_EINVAL;
	if (ns && *ns && (br_buf_adds(out, ns) < 0 || br_buf_addc(out, '/') < 0))
		return BR_ENOMEM;
	return br_buf_adds(out, name) < 0 ? BR_ENOMEM : 0;
}
