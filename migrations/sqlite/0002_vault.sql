CREATE TABLE `files` (
	`id` text PRIMARY KEY NOT NULL,
	`owner_id` integer NOT NULL,
	`name` text NOT NULL,
	`size` integer NOT NULL,
	`content_type` text NOT NULL,
	`sha256` text NOT NULL,
	`storage_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`owner_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `files_owner_name` ON `files` (`owner_id`,`name`);--> statement-breakpoint
CREATE INDEX `files_owner_created` ON `files` (`owner_id`,`created_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `files_storage_key` ON `files` (`storage_key`);