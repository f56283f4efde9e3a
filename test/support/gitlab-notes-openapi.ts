import type { OpenApiDocument } from './openapi-standin.ts';

/**
 * The part of GitLab's REST API v4 that `cairn ci comment` calls — the notes of a merge request —
 * written here in OpenAPI form from GitLab's documentation of the Notes API (list, create, modify
 * and delete a merge request note: parameters, their types and which are required). No
 * machine-readable description of GitLab's API is published on the package registries this
 * project installs from, so this subset is kept by hand; names follow GitLab's own OpenAPI
 * (`noteable_id` for the merge request's IID).
 */
const id = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
const noteable = { name: 'noteable_id', in: 'path', required: true, schema: { type: 'integer' } };
const noteId = { name: 'note_id', in: 'path', required: true, schema: { type: 'integer' } };
const noteBody = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['body'],
        properties: {
          body: { type: 'string', minLength: 1, maxLength: 1_000_000 },
          created_at: { type: 'string', format: 'date-time' },
          internal: { type: 'boolean' },
          merge_request_diff_head_sha: { type: 'string' },
        },
      },
    },
  },
};

export const GITLAB_NOTES_API: OpenApiDocument = {
  paths: {
    '/api/v4/projects/{id}/merge_requests/{noteable_id}/notes': {
      get: {
        operationId: 'getApiV4ProjectsIdMergeRequestsNoteableIdNotes',
        parameters: [
          id,
          noteable,
          { name: 'sort', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } },
          { name: 'order_by', in: 'query', schema: { type: 'string', enum: ['created_at', 'updated_at'] } },
          { name: 'activity_filter', in: 'query', schema: { type: 'string' } },
          { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1 } },
          { name: 'per_page', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
        ],
      },
      post: {
        operationId: 'postApiV4ProjectsIdMergeRequestsNoteableIdNotes',
        parameters: [id, noteable],
        requestBody: noteBody,
      },
    },
    '/api/v4/projects/{id}/merge_requests/{noteable_id}/notes/{note_id}': {
      get: {
        operationId: 'getApiV4ProjectsIdMergeRequestsNoteableIdNotesNoteId',
        parameters: [id, noteable, noteId],
      },
      put: {
        operationId: 'putApiV4ProjectsIdMergeRequestsNoteableIdNotesNoteId',
        parameters: [id, noteable, noteId],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['body'],
                properties: { body: { type: 'string', minLength: 1, maxLength: 1_000_000 } },
              },
            },
          },
        },
      },
      delete: {
        operationId: 'deleteApiV4ProjectsIdMergeRequestsNoteableIdNotesNoteId',
        parameters: [id, noteable, noteId],
      },
    },
  },
};
