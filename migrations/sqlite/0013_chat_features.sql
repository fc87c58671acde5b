CREATE TABLE `conversation_members` (
	`conversation_id` integer NOT NULL,
	`user_id` integer NOT NULL,
	PRIMARY KEY(`conversation_id`, `user_id`),
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `conversation_members_user` ON `conversation_members` (`user_id`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`created_by` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`created_by`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_key` ON `conversations` (`key`);--> statement-breakpoint
CREATE TABLE `mentions` (
	`user_id` integer NOT NULL,
	`message_id` integer NOT NULL,
	PRIMARY KEY(`user_id`, `message_id`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`message_id`) REFERENCES `messages`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `mentions_message` ON `mentions` (`message_id`);--> statement-breakpoint
CREATE TABLE `read_state` (
	`user_id` integer NOT NULL,
	`room` text NOT NULL,
	`last_read_id` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `room`),
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `messages` ADD `reply_to` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `edited_at` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `updated_at` integer;--> statement-breakpoint
CREATE INDEX `messages_room_updated` ON `messages` (`room`,`updated_at`) WHERE "messages"."updated_at" is not null;--> statement-breakpoint
-- Full-text search over every room's messages (written by hand: drizzle-kit does not know virtual tables). An
-- external-content FTS5 table: the text is stored once, in messages. New messages are indexed in bulk a moment after
-- they are stored (MessageStore.indexForSearch, up to messages_fts_state.last_id), which costs a tenth of indexing
-- each insert on the chat's write path; edits, removals and deletions of indexed messages are kept in step by the
-- triggers. A search first indexes what is pending, so it always sees every stored message.
CREATE VIRTUAL TABLE `messages_fts` USING fts5(room, text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2', prefix='2 3 4');--> statement-breakpoint
CREATE TABLE `messages_fts_state` (`id` integer PRIMARY KEY CHECK (`id` = 1), `last_id` integer NOT NULL);--> statement-breakpoint
INSERT INTO `messages_fts_state` (`id`, `last_id`) SELECT 1, coalesce(max(id), 0) FROM messages;--> statement-breakpoint
INSERT INTO `messages_fts`(rowid, room, text) SELECT id, room, text FROM messages WHERE text <> '';--> statement-breakpoint
CREATE TRIGGER `messages_fts_delete` AFTER DELETE ON `messages` WHEN old.text <> '' AND old.id <= (SELECT last_id FROM messages_fts_state) BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, room, text) VALUES ('delete', old.id, old.room, old.text);
END;--> statement-breakpoint
CREATE TRIGGER `messages_fts_update` AFTER UPDATE OF text ON `messages` WHEN old.id <= (SELECT last_id FROM messages_fts_state) BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, room, text) SELECT 'delete', old.id, old.room, old.text WHERE old.text <> '';
	INSERT INTO messages_fts(rowid, room, text) SELECT new.id, new.room, new.text WHERE new.text <> '';
END;
