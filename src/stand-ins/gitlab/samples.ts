// What GitLab's stand-in sends: a push event and a merge request event shaped like GitLab's
// documented examples (doc/user/project/integrations/webhook_events.md), filled with the project's
// own data, as a hook test does (Integrations::ProjectTestData: push -> DataBuilder::Push.build_sample,
// merge requests -> the newest merge request's hook data with action "open").

export interface SampleProject {
  readonly id: number;
  /** `group/sub/project`. */
  readonly path: string;
}

export interface FakeMergeRequest {
  readonly id: number;
  readonly iid: number;
  readonly projectId: number;
  readonly title: string;
  readonly createdAt: string;
}

function projectData(p: SampleProject, instance: string) {
  const name = p.path.split("/").pop() ?? p.path;
  const host = new URL(instance).host;
  return {
    id: p.id,
    name,
    web_url: `${instance}/${p.path}`,
    git_ssh_url: `git@${host}:${p.path}.git`,
    git_http_url: `${instance}/${p.path}.git`,
    namespace: p.path.includes("/") ? p.path.slice(0, p.path.lastIndexOf("/")) : p.path,
    path_with_namespace: p.path,
    default_branch: "main",
  };
}

export function samplePush(p: SampleProject, instance: string): Record<string, unknown> {
  const project = projectData(p, instance);
  return {
    object_kind: "push",
    event_name: "push",
    before: "95790bf891e76fee5e1747ab589903a6a1f80f22",
    after: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    ref: "refs/heads/main",
    ref_protected: true,
    checkout_sha: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
    user_id: 4,
    user_name: "John Smith",
    user_username: "jsmith",
    user_email: "john@example.com",
    project_id: p.id,
    project,
    commits: [
      {
        id: "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
        message: "fixed readme",
        title: "fixed readme",
        timestamp: "2012-01-03T23:36:29+02:00",
        url: `${project.web_url}/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7`,
        author: { name: "GitLab dev user", email: "gitlabdev@example.com" },
        added: ["CHANGELOG"],
        modified: ["app/controller/application.rb"],
        removed: [],
      },
    ],
    total_commits_count: 1,
    repository: {
      name: project.name,
      url: project.git_ssh_url,
      homepage: project.web_url,
      git_http_url: project.git_http_url,
      git_ssh_url: project.git_ssh_url,
    },
  };
}

export function sampleMergeRequest(
  p: SampleProject,
  mr: FakeMergeRequest,
  instance: string,
): Record<string, unknown> {
  const project = projectData(p, instance);
  return {
    object_kind: "merge_request",
    event_type: "merge_request",
    user: { id: 1, name: "Administrator", username: "root" },
    project,
    object_attributes: {
      id: mr.id,
      iid: mr.iid,
      title: mr.title,
      state: "opened",
      action: "open",
      source_branch: "feature",
      target_branch: "main",
      source_project_id: p.id,
      target_project_id: p.id,
      url: `${project.web_url}/-/merge_requests/${mr.iid}`,
      created_at: mr.createdAt,
    },
    labels: [],
    changes: {},
    repository: { name: project.name, url: project.git_ssh_url, homepage: project.web_url },
  };
}
