/* The policy history in git, written with libgit2. */
#include "notify/notify.h"
#include "base/buf.h"

#include <dirent.h>
#include <errno.h>
#include <git2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* 1 when dir holds nothing but an entry named except (NULL: nothing), 0
 * when it holds more, -1 when it cannot be read. */
static int
holds_nothing_but(const char *dir, const char *except)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int only = 1;

	if (!d)
		return -1;
	while (only && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    (!except || strcmp(e->d_name, except)))
			only = 0;
	closedir(d);
	return only;
}

/* 1 when the commit's README.md begins with the mark. */
static int
commit_is_history(git_repository *repo, const git_oid *id)
{
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_tree_entry *e = NULL;
	git_blob *b = NULL;
	size_t ml = strlen(NOTIFY_GIT_MARK);
	int yes = 0;

	if (git_commit_lookup(&c, repo, id) == 0 && git_commit_tree(&t, c) == 0 &&
	    git_tree_entry_bypath(&e, t, "README.md") == 0 &&
	    git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
	    git_blob_lookup(&b, repo, git_tree_entry_id(e)) == 0)
		yes = (size_t)git_blob_rawsize(b) >= ml &&
		      !memcmp(git_blob_rawcontent(b), NOTIFY_GIT_MARK, ml);
	git_blob_free(b);
	git_tree_entry_free(e);
	git_tree_free(t);
	git_commit_free(c);
	return yes;
}

/* 1 when the branch at id is a history: one of its last 1,000 commits
 * (first parents: hand-made commits may sit on top, one may even have
 * removed README.md) is noticewatch's; 0 when none is; -1 on error. */
static int
branch_is_history(git_repository *repo, const git_oid *id)
{
	git_revwalk *w = NULL;
	git_oid c;
	int yes = 0, n = 0;

	if (git_revwalk_new(&w, repo) < 0 || git_revwalk_push(w, id) < 0) {
		git_revwalk_free(w);
		return commit_is_history(repo, id);
	}
	git_revwalk_simplify_first_parent(w);
	while (!yes && n++ < 1000 && git_revwalk_next(&c, w) == 0)
		yes = commit_is_history(repo, &c);
	git_revwalk_free(w);
	return yes;
}

int
notify_git_check(const struct notify_git *g, char *err, size_t errlen)
{
	git_repository *repo = NULL;
	git_reference *head = NULL;
	git_oid id;
	struct stat sb;
	char ref[300];
	int rv = -1, r;

	if (stat(g->path, &sb) < 0) {
		if (errno == ENOENT)
			return 0;       /* created by the first commit */
		snprintf(err, errlen, "'%s' cannot be read: %s", g->path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		snprintf(err, errlen, "'%s' is not a directory", g->path);
		return -1;
	}
	git_libgit2_init();
	snprintf(ref, sizeof(ref), "refs/heads/%s", g->branch);
	if (git_repository_open_ext(&repo, g->path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
		r = holds_nothing_but(g->path, NULL);
	} else if (git_repository_is_bare(repo)) {
		r = 0;
	} else if (git_reference_name_to_id(&id, repo, ref) == 0 ||
	           (git_repository_head(&head, repo) == 0 && git_reference_target(head) &&
	            (git_oid_cpy(&id, git_reference_target(head)), 1))) {
		r = branch_is_history(repo, &id);
	} else {
		r = holds_nothing_but(g->path, ".git");  /* no commit yet */
	}
	if (r < 0)
		snprintf(err, errlen, "'%s' cannot be read: %s", g->path, strerror(errno));
	else if (r == 0 && repo)
		snprintf(err, errlen, "'%s' is a git repository that is not a noticewatch history",
		         g->path);
	else if (r == 0)
		snprintf(err, errlen, "'%s' is not empty and not a noticewatch history", g->path);
	else
		rv = 0;
	git_reference_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
	return rv;
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

/* The tree of files (their id in tree_id), written through the index,
 * which is then read back from disk: it tracks what the last checkout
 * wrote, so the checkout after the commit takes it to the new tree and a
 * file the index does not track is never touched. */
static int
write_tree(const struct notify_git *g, git_repository *repo, const struct notify_file *files,
           size_t n, git_oid *tree_id, git_tree **tree, char *err, size_t errlen)
{
	git_index *idx = NULL;
	int rv = -1;

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
	if (git_index_write_tree(tree_id, idx) < 0 || git_tree_lookup(tree, repo, tree_id) < 0) {
		git_err(g, "cannot write the tree", err, errlen);
		goto out;
	}
	if (git_index_read(idx, 1) < 0) {
		git_err(g, "cannot read the index", err, errlen);
		goto out;
	}
	rv = 0;
out:
	git_index_free(idx);
	return rv;
}

/* The working tree and the index as committed: what the previous commit
 * (parent, or none) held, the baseline, and this one does not is removed;
 * files noticewatch never wrote are untracked and stay. */
static int
check_out(const struct notify_git *g, git_repository *repo, git_commit *parent, char *err,
          size_t errlen)
{
	git_checkout_options co;
	git_treebuilder *empty = NULL;
	git_tree *before = NULL;
	git_oid empty_id;
	int rv = -1;

	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE;
	if (parent) {
		if (git_commit_tree(&before, parent) < 0) {
			git_err(g, "cannot read the branch head", err, errlen);
			goto out;
		}
	} else if (git_treebuilder_new(&empty, repo, NULL) < 0 ||
	           git_treebuilder_write(&empty_id, empty) < 0 ||
	           git_tree_lookup(&before, repo, &empty_id) < 0) {
		git_err(g, "cannot write the tree", err, errlen);
		goto out;
	}
	co.baseline = before;
	if (git_checkout_head(repo, &co) < 0) {
		git_err(g, "cannot check out", err, errlen);
		goto out;
	}
	rv = 0;
out:
	git_tree_free(before);
	git_treebuilder_free(empty);
	return rv;
}

int
notify_git_commit(const struct notify_git *g, const struct notify_file *files, size_t n,
                  const char *message, long long when, int *committed, char oid[41],
                  char *err, size_t errlen)
{
	git_repository *repo = NULL;
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
	if (write_tree(g, repo, files, n, &tree_id, &tree, err, errlen) < 0)
		goto out;
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
	if (check_out(g, repo, parent, err, errlen) < 0)
		goto out;
	git_oid_tostr(oid, 41, &commit_id);
	*committed = 1;
	rv = 0;
out:
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
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

/* Appends one line of a patch as a plain unified diff has it: of the file's
 * header only its "---" and "+++" lines. */
static int
diff_line(const git_diff_delta *delta, const git_diff_hunk *hunk, const git_diff_line *line,
          void *payload)
{
	struct buf *b = payload;
	const char *p = line->content, *end = p + line->content_len;

	(void)delta;
	(void)hunk;
	switch (line->origin) {
	case GIT_DIFF_LINE_FILE_HDR:
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t n = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
			if (n >= 4 && (!memcmp(p, "--- ", 4) || !memcmp(p, "+++ ", 4)))
				buf_add(b, p, n);
			p += n;
		}
		break;
	case GIT_DIFF_LINE_CONTEXT:
	case GIT_DIFF_LINE_ADDITION:
	case GIT_DIFF_LINE_DELETION:
		buf_add(b, &line->origin, 1);
		/* fall through */
	default:                /* hunk headers, "\ No newline at end of file" */
		buf_add(b, p, line->content_len);
		break;
	}
	return b->failed ? -1 : 0;
}

char *
notify_text_diff(const char *before, const char *after, const char *name)
{
	git_patch *patch = NULL;
	struct buf out;
	char *diff = NULL;

	git_libgit2_init();
	buf_init(&out, SIZE_MAX);
	/* libgit2 writes the a/ and b/ before the name itself */
	if (git_patch_from_buffers(&patch, before, strlen(before), name, after, strlen(after),
	                           name, NULL) == 0 &&
	    git_patch_print(patch, diff_line, &out) == 0)
		diff = out.p ? buf_take(&out, NULL) : strdup("");
	buf_free(&out);
	git_patch_free(patch);
	git_libgit2_shutdown();
	return diff;
}
