CREATE TABLE `drops` (
	`id` text PRIMARY KEY NOT NULL,
	`token_hash` text NOT NULL,
	`owner_id` integer NOT NULL,
	`folder_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`max_bytes` integer NOT NULL,
	`bytes_used` integer DEFAULT 0 NOT NULL,
	`closed_at` integer,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`folder_id`) REFERENCES `folders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `drops_token` ON `drops` (`token_hash`);--> statement-breakpoint
CREATE INDEX `drops_owner` ON `drops` (`owner_id`);--> statement-breakpoint
CREATE INDEX `drops_folder` ON `drops` (`folder_id`);--> statement-breakpoint
ALTER TABLE `uploads` ADD `drop_id` text;--> statement-breakpoint
ALTER TABLE `uploads` ADD `uploader` text;