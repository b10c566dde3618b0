/* The policy history in git, written with libgit2. */
#include "notify/notify.h"

#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libgit2's last error, with the remote URL (which may hold credentials)
 * taken out. */
static void
git_err(const struct notify_git *g, const char *what, char *err, size_t errlen)
{
	const git_error *e = git_error_last();
	const char *msg = e && e->message ? e->message : "unknown error";
	char clean[512];
	const char *hit;

	snprintf(clean, sizeof(clean), "%s", msg);
	if (g->remote && *g->remote && (hit = strstr(clean, g->remote))) {
		char rest[512];
		snprintf(rest, sizeof(rest), "%s", hit + strlen(g->remote));
		snprintf(clean + (hit - clean), sizeof(clean) - (size_t)(hit - clean), "<remote>%s",
		         rest);
	}
	snprintf(err, errlen, "history '%s': %s: %s", g->path, what, clean);
}

static int
open_repo(const struct notify_git *g, git_repository **repo, char *err, size_t errlen)
{
	char head[300];

	if (git_repository_open_ext(repo, g->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0)
		return 0;
	if (git_repository_init(repo, g->path, 0) < 0) {
		git_err(g, "cannot create the repository", err, errlen);
		return -1;
	}
	snprintf(head, sizeof(head), "refs/heads/%s", g->branch);
	if (git_repository_set_head(*repo, head) < 0) {
		git_err(g, "cannot set HEAD", err, errlen);
		git_repository_free(*repo);
		*repo = NULL;
		return -1;
	}
	return 0;
}

int
notify_git_head(const struct notify_git *g, char oid[41], char *err, size_t errlen)
{
	git_repository *repo = NULL;
	git_oid id;
	char ref[300];
	int rv = 0;

	oid[0] = '\0';
	git_libgit2_init();
	if (open_repo(g, &repo, err, errlen) < 0) {
		rv = -1;
	} else {
		snprintf(ref, sizeof(ref), "refs/heads/%s", g->branch);
		if (git_reference_name_to_id(&id, repo, ref) == 0)
			git_oid_tostr(oid, 41, &id);
	}
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rv;
}

int
notify_git_commit(const struct notify_git *g, const struct notify_file *files, size_t n,
                  const char *message, long long when, int *committed, char oid[41],
                  char *err, size_t errlen)
{
	git_repository *repo = NULL;
	git_index *idx = NULL;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, parent_id, commit_id;
	char ref[300];
	int has_parent, rv = -1;

	*committed = 0;
	oid[0] = '\0';
	git_libgit2_init();
	if (open_repo(g, &repo, err, errlen) < 0)
		goto out;
	snprintf(ref, sizeof(ref), "refs/heads/%s", g->branch);
	if (git_repository_index(&idx, repo) < 0 || git_index_clear(idx) < 0) {
		git_err(g, "cannot read the index", err, errlen);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		git_index_entry e;
		memset(&e, 0, sizeof(e));
		e.mode = GIT_FILEMODE_BLOB;
		e.path = files[i].path;
		if (git_index_add_from_buffer(idx, &e, files[i].data, files[i].len) < 0) {
			git_err(g, "cannot add a file", err, errlen);
			goto out;
		}
	}
	if (git_index_write_tree(&tree_id, idx) < 0 || git_tree_lookup(&tree, repo, &tree_id) < 0) {
		git_err(g, "cannot write the tree", err, errlen);
		goto out;
	}
	has_parent = git_reference_name_to_id(&parent_id, repo, ref) == 0;
	if (has_parent) {
		if (git_commit_lookup(&parent, repo, &parent_id) < 0) {
			git_err(g, "cannot read the branch head", err, errlen);
			goto out;
		}
		if (git_oid_equal(git_commit_tree_id(parent), &tree_id)) {
			git_oid_tostr(oid, 41, &parent_id);
			rv = 0;         /* nothing changed: no commit */
			goto out;
		}
	}
	if (git_signature_new(&sig, g->author_name, g->author_email, (git_time_t)when, 0) < 0) {
		git_err(g, "bad author", err, errlen);
		goto out;
	}
	if (git_commit_create(&commit_id, repo, ref, sig, sig, NULL, message, tree,
	                      has_parent ? 1 : 0, (const git_commit **)&parent) < 0) {
		git_err(g, "cannot commit", err, errlen);
		goto out;
	}
	/* the index as committed, and a working tree that mirrors it */
	if (git_index_write(idx) < 0) {
		git_err(g, "cannot write the index", err, errlen);
		goto out;
	}
	{
		git_checkout_options co;
		git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
		co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_REMOVE_UNTRACKED;
		if (git_checkout_head(repo, &co) < 0) {
			git_err(g, "cannot check out", err, errlen);
			goto out;
		}
	}
	git_oid_tostr(oid, 41, &commit_id);
	*committed = 1;
	rv = 0;
out:
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(idx);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rv;
}

int
notify_git_push(const struct notify_git *g, char *err, size_t errlen)
{
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_push_options opts;
	char spec[700], *specp = spec;
	git_strarray specs = {&specp, 1};
	int rv = -1;

	git_libgit2_init();
	if (open_repo(g, &repo, err, errlen) < 0)
		goto out;
	snprintf(spec, sizeof(spec), "refs/heads/%s:refs/heads/%s", g->branch, g->branch);
	if (git_remote_create_anonymous(&remote, repo, g->remote) < 0) {
		git_err(g, "bad remote", err, errlen);
		goto out;
	}
	git_push_options_init(&opts, GIT_PUSH_OPTIONS_VERSION);
	if (git_remote_push(remote, &specs, &opts) < 0) {
		git_err(g, "push failed", err, errlen);
		goto out;
	}
	rv = 0;
out:
	git_remote_free(remote);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rv;
}

char *
notify_text_diff(const char *before, const char *after, const char *name)
{
	git_patch *patch = NULL;
	git_buf buf = {0};
	char a[300], b[300], *out = NULL;

	git_libgit2_init();
	snprintf(a, sizeof(a), "a/%s", name);
	snprintf(b, sizeof(b), "b/%s", name);
	if (git_patch_from_buffers(&patch, before, strlen(before), a, after, strlen(after), b,
	                           NULL) == 0 &&
	    git_patch_to_buf(&buf, patch) == 0)
		out = strdup(buf.ptr ? buf.ptr : "");
	git_buf_dispose(&buf);
	git_patch_free(patch);
	git_libgit2_shutdown();
	return out;
}
