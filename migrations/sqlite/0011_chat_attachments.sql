ALTER TABLE `messages` ADD `share_id` text;--> statement-breakpoint
CREATE INDEX `messages_share` ON `messages` (`share_id`) WHERE "messages"."share_id" is not null;