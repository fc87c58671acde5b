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
-- external-content FTS5 table: the text is stored once, in messages; the triggers keep the index in step with every
-- insert, edit, removal and deletion (retention, a closed room's chat).
CREATE VIRTUAL TABLE `messages_fts` USING fts5(room, text, content='messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2');--> statement-breakpoint
INSERT INTO `messages_fts`(rowid, room, text) SELECT id, room, text FROM messages WHERE text <> '';--> statement-breakpoint
CREATE TRIGGER `messages_fts_insert` AFTER INSERT ON `messages` WHEN new.text <> '' BEGIN
	INSERT INTO messages_fts(rowid, room, text) VALUES (new.id, new.room, new.text);
END;--> statement-breakpoint
CREATE TRIGGER `messages_fts_delete` AFTER DELETE ON `messages` WHEN old.text <> '' BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, room, text) VALUES ('delete', old.id, old.room, old.text);
END;--> statement-breakpoint
CREATE TRIGGER `messages_fts_update` AFTER UPDATE OF text ON `messages` BEGIN
	INSERT INTO messages_fts(messages_fts, rowid, room, text) SELECT 'delete', old.id, old.room, old.text WHERE old.text <> '';
	INSERT INTO messages_fts(rowid, room, text) SELECT new.id, new.room, new.text WHERE new.text <> '';
END;
