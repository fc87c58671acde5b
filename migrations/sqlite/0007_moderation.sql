ALTER TABLE `users` ADD `chat_muted_until` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `removed_at` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `removed_by` integer;